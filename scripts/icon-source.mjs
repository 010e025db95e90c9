// Draws Koffer's app icon (an iPad case with its handle) as a 1024×1024 RGBA PNG, the source
// that `npx tauri icon` turns into every size the bundles need.
// Usage: node scripts/icon-source.mjs src-tauri/icons/source.png
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const size = 1024;
const pixels = Buffer.alloc(size * size * 4);

function roundedRect(x, y, w, h, r, px, py) {
  const cx = Math.min(Math.max(px, x + r), x + w - r);
  const cy = Math.min(Math.max(py, y + r), y + h - r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= r * r && px >= x && px <= x + w && py >= y && py <= y + h;
}

function paint(px, py) {
  const handleOuter = roundedRect(372, 150, 280, 190, 70, px, py);
  const handleInner = roundedRect(432, 210, 160, 150, 30, px, py);
  if (handleOuter && !handleInner && py < 330) return [23, 78, 99, 255];
  if (roundedRect(132, 300, 760, 600, 96, px, py)) {
    if (py > 560 && py < 610) return [240, 180, 60, 255];
    if (roundedRect(462, 540, 100, 90, 18, px, py)) return [240, 180, 60, 255];
    return [31, 111, 139, 255];
  }
  return [0, 0, 0, 0];
}

for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    pixels.set(paint(x + 0.5, y + 0.5), (y * size + x) * 4);
  }
}

function crc32(buffer) {
  let crc = ~0;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const rows = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) {
  pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
}
const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header.set([8, 6, 0, 0, 0], 8);
const png = Buffer.concat([
  Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
  chunk("IHDR", header),
  chunk("IDAT", deflateSync(rows)),
  chunk("IEND", Buffer.alloc(0)),
]);
writeFileSync(process.argv[2] ?? "icon-source.png", png);
