// The card reader's requests that only an engineer's check needs (the
// firmware's probe command, which a service engineer runs on the device, and
// the driver tests): power the card on and off by hand. Raw APDUs, which only
// the driver tests send, are test/helpers/apdu-probe.ts's (on `request`).
// The terminal's session reads a card with CardReader.readCredential alone.
import { CardCommand } from './card-frame';
import { CardReader } from './card-reader';
import { ok, type Result } from './port';

export class CardProbe extends CardReader {
  /** Powers the card and returns its answer-to-reset (ATR). */
  powerOn(): Promise<Result<Uint8Array>> {
    return this.request(CardCommand.powerOn);
  }

  async powerOff(): Promise<Result<void>> {
    const reply = await this.request(CardCommand.powerOff);
    return reply.ok ? ok(undefined) : reply;
  }
}
