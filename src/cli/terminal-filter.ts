/**
 * Guest serial output on its way to the user's terminal: OVMF drives its serial console like a screen (clear
 * `ESC[2J`, cursor home `ESC[01;01H`, video mode `ESC[=3h`, charset selection), which would wipe the user's
 * terminal. Those screen-control sequences are dropped; everything else, the guest's text and its colours
 * (`ESC[...m`), passes untouched. Chunks may split a sequence, so an unfinished one waits for the next chunk.
 */

/** CSI sequences that move the cursor, erase, scroll or switch modes: screen control, not text. */
const SCREEN_CONTROL = /\x1b\[[0-9;=?]*[ABCDEFGHJKSTfhlrsu]|\x1b[()][A-Z0-9]|\x1bc/g;
/** An escape sequence that has started but not ended at the end of a chunk. */
const UNFINISHED = /\x1b(?:\[[0-9;=?]*|[()])?$/;

export class TerminalFilter {
  private pending = '';

  push(chunk: string): string {
    const text = this.pending + chunk;
    const unfinished = UNFINISHED.exec(text);
    this.pending = unfinished ? unfinished[0] : '';
    const complete = unfinished ? text.slice(0, unfinished.index) : text;
    return complete.replace(SCREEN_CONTROL, '');
  }

  /** What is left at the end of the output (an escape that never finished is passed as it came). */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}
