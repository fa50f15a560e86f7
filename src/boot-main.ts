// dist/boot.js: the firmware beside this file through its code cache (src/boot.ts says how).
import { bootFirmware } from './boot';

bootFirmware(__dirname, process.env);
