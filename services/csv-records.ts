/**
 * A streaming reader of delimited text as public registers publish it (France compétences: `;`,
 * fields in double quotes, a quote doubled inside them, line breaks inside quoted fields, CRLF or
 * LF, a byte-order mark at the start). Text goes in by chunks, whole records come out with the
 * line each starts on.
 */
export class CsvRecords {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  /** The previous chunk ended on a quote inside a quoted field: a doubled quote, or its end. */
  private quotePending = false;
  private started = false;
  private line = 1;
  private recordLine = 1;

  constructor(private readonly separator = ';') {}

  /** The records the chunk completes. */
  push(chunk: string): { line: number; fields: string[] }[] {
    const out: { line: number; fields: string[] }[] = [];
    let text = chunk;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let i = 0;
    if (this.quotePending) {
      this.quotePending = false;
      if (text[0] === '"') {
        this.field += '"';
        i = 1;
      } else this.quoted = false;
    }
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (this.quoted) {
        if (ch === '"') {
          if (i + 1 === text.length) {
            this.quotePending = true;
          } else if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else this.quoted = false;
        } else {
          if (ch === '\n') this.line++;
          this.field += ch;
        }
        continue;
      }
      if (ch === '"' && this.field === '') this.quoted = true;
      else if (ch === this.separator) {
        this.record.push(this.field);
        this.field = '';
      } else if (ch === '\n') {
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
      } else if (ch !== '\r') this.field += ch;
    }
    return out;
  }

  /** The last record, when the text does not end with a line break. */
  end(): { line: number; fields: string[] }[] {
    const out: { line: number; fields: string[] }[] = [];
    this.quoted = false;
    this.quotePending = false;
    this.endRecord(out);
    return out;
  }

  private endRecord(out: { line: number; fields: string[] }[]): void {
    this.record.push(this.field);
    this.field = '';
    const fields = this.record;
    this.record = [];
    // Blank lines are not records.
    if (fields.length === 1 && fields[0] === '') return;
    out.push({ line: this.recordLine, fields });
  }
}
