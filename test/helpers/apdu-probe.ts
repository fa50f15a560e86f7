// Raw APDUs to the powered card, for the driver tests (test/suites/card-reader.suite.ts):
// the emulator's answers to SELECT, VERIFY and READ BINARY checked status word
// by status word. Built on CardProbe's `request`, as the probe's power
// commands are; no field command sends raw APDUs, so the firmware leaves it out.
import { CardCommand } from '../../device/card-frame';
import { CardProbe } from '../../device/card-probe';
import { splitStatusWord, type CardResponse } from '../../device/card-reader';
import { cardFrameDataBytesMax } from '../../device/limits';
import { ok, type Result } from '../../device/port';

export class ApduProbe extends CardProbe {
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
