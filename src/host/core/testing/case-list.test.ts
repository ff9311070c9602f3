import { describe, expect, it } from 'vitest';
import { formatCaseList } from './case-list.js';

describe('the case list', () => {
  it('prints suite and case a line, and the release a gated case needs as a third field', () => {
    const text = formatCaseList([
      {
        name: 'epoll-create',
        description: 'creation',
        cases: ['create1_rejects_unknown_flags', 'create_fd_unknown_ioctl'],
        gates: { create_fd_unknown_ioctl: { since: '6.9.0', backports: [], reason: 'an ioctl method' } },
      },
      {
        name: 'epoll-nesting',
        description: 'nesting',
        cases: ['nest_depth_6_bottom_up_eloop'],
        gates: { nest_depth_6_bottom_up_eloop: { since: '6.17.0', backports: ['6.1.149', '6.12.43'], reason: 'depth' } },
      },
    ]);
    expect(text).toBe(
      'epoll-create\tcreate1_rejects_unknown_flags\n' +
        'epoll-create\tcreate_fd_unknown_ioctl\tsince 6.9\n' +
        'epoll-nesting\tnest_depth_6_bottom_up_eloop\tsince 6.17 (backported to 6.1.149, 6.12.43)\n',
    );
  });

  it('prints nothing for no suites', () => {
    expect(formatCaseList([])).toBe('');
  });
});
