// The card reader's requests that only an engineer's check needs (the
// firmware's probe command, which a service engineer runs on the device, and
// the driver tests): power the card on and off by hand and send it raw APDUs.
// The terminal's session reads a card with CardReader.readCredential alone.
import { CardCommand } from './card-frame';
import { CardReader, splitStatusWord, type CardResponse } from './card-reader';
import { cardFrameDataBytesMax } from './limits';
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

  /** Sends one command APDU to the powered card; any status word is a value here. */
  transmit(apdu: Uint8Array): Promise<Result<CardResponse>> {
    if (!(apdu instanceof Uint8Array)) throw new TypeError('apdu must be a Uint8Array');
    if (apdu.length < 4 || apdu.length > cardFrameDataBytesMax - 1) {
      throw new RangeError(`apdu must be 4 to ${cardFrameDataBytesMax - 1} bytes`);
    }
    return this.request(CardCommand.transmit, apdu).then((reply) => {
      const split = reply.ok ? splitStatusWord(reply.value) : reply;
      return split.ok ? ok({ data: split.value.data.slice(), sw: split.value.sw }) : split;
    });
  }
}
