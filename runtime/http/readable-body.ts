import type { BodyHolder } from "./body";

/** The body-reading half that Request and Response share (the Fetch standard's Body mixin). */
export abstract class ReadableBody {
  protected constructor(private readonly content: BodyHolder) {}

  get body(): AsyncIterable<Uint8Array> | null {
    return this.content.stream;
  }

  get bodyUsed(): boolean {
    return this.content.bodyUsed;
  }

  text(): Promise<string> {
    return this.content.text();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.content.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.content.text());
  }
}
