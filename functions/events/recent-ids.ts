/**
 * Event ids this isolate queued recently, each with its seller (`seller\0event_id`: ids are
 * per seller), so that a retried call can be answered with its duplicates counted. Only a
 * courtesy for the answer: D1 ignores duplicates whatever this remembers (another isolate may
 * have seen the first copy).
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 50_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    if (this.ids.size >= this.max) this.ids.delete(this.ids.values().next().value as string);
    this.ids.add(id);
  }
}
