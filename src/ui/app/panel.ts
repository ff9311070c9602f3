/** What the side pane needs from each of its panels. */
export interface Panel {
  readonly id: string;
  readonly title: string;
  readonly element: HTMLElement;
  /** The panel is on screen (its tab selected and the page visible), or not. */
  setVisible(visible: boolean): void;
  /** A guest is ready to take commands, or it went away (reset, failure). */
  setGuestReady(ready: boolean): void;
}
