/** The commands that build one optional layer, for hints and help texts (light: the CLI's help loads it). */
export const COMPILER_BUILD_COMMAND = 'npx epoll-lab build --with-compiler';
export const WORKLOADS_BUILD_COMMAND = 'npx epoll-lab build --with-workloads';
