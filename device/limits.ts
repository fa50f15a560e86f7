// Limits of the hardware side (docs/design.md, devices; docs/conventions.md habit 3). device/
// may import nothing from src/ (docs/design.md, layout), so the drivers own their
// limits here, like the core and the wire own theirs; test/unit/limits.test.ts
// asserts how they relate to each other and to the runtime's.

/** One card-reader or printer exchange, retransmissions included, ms. */
export const deviceExchangeTimeoutMs = 2_000;
/** One attempt of a card-reader exchange before the request is sent again, ms. */
export const cardAttemptTimeoutMs = 600;
/** Sends of one card-reader request (the first included), after silence or a NAK; the reader answers a repeat from its memory. */
export const cardAttemptsMax = 6;
/** DATA of one card-reader frame (SEQ, status and an APDU with 255 data bytes and Le fit), bytes. */
export const cardFrameDataBytesMax = 300;
/** STX, LEN (2), CMD, BCC, ETX around DATA, bytes. */
export const cardFrameOverheadBytes = 6;
/** The identity file of a social-security card, bytes (one READ BINARY can address 32,767; ours is small). */
export const cardIdentityFileBytesMax = 512;
/** Bytes asked for by one READ BINARY (Le). */
export const cardReadChunkBytes = 64;
/** Longest QR scanner line, terminator excluded, bytes. */
export const scannerLineBytesMax = 512;
/** A partial scanner line older than this is dropped when new bytes arrive: a scanner types a code in one burst, ms. */
export const scannerLineIdleMs = 500;
/** One print job (a receipt with its commands), bytes. */
export const printerJobBytesMax = 65_536;
/** Bytes written between two real-time status checks of the printer. */
export const printerChunkBytes = 1_024;
/** Longest QR payload the builder stores in the printer (GS ( k function 180), bytes. */
export const printerQrBytesMax = 512;
/** Receive buffer of a port adapter (the stream's high-water mark), bytes. */
export const portReceiveBytesMax = 4_096;
/** Bytes a line simulator holds in flight per direction before it stops reading. */
export const lineQueueBytesMax = 65_536;

/** The slowest serial line taken (profile, demo), baud: the line sweep shows every speed from here up settles as a clean line does. */
export const lineBaudMin = 1_200;
/** The highest frame fault rate a simulated hub line is taken at (profile, demo), basis points: up to it, the outcomes are the clean line's. */
export const lineLossBpMax = 3_000;

/** Keys the patient pressed that the session has not yet read. */
export const keysQueuedMax = 64;
