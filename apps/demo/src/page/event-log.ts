/** Kind of a log line; sets its colour. */
export type LogKind = 'info' | 'good' | 'warn' | 'bad';

/** Lines kept in the log. */
const MAX_LINES = 40;

/** The page's event log: newest first, bounded. */
export class EventLog {
  constructor(private readonly list: HTMLOListElement) {}

  /** Adds a line stamped with the local time. */
  add(kind: LogKind, message: string): void {
    const line = document.createElement('li');
    line.dataset.kind = kind;
    const time = document.createElement('time');
    time.textContent = new Date().toLocaleTimeString([], { hour12: false });
    const text = document.createElement('span');
    text.textContent = message;
    line.append(time, text);
    this.list.prepend(line);
    while (this.list.children.length > MAX_LINES) this.list.lastElementChild?.remove();
  }
}
