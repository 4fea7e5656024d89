// Writes the seed corpora fuzz/corpus/<target>/: small valid files of each
// format and a few broken ones, so that the fuzzers start from inputs that
// reach deep into each reader. Run by hand from the repository root:
//   g++ -std=c++20 -O1 fuzz/make_corpus.cpp -lz -o /tmp/make_corpus && /tmp/make_corpus fuzz/corpus
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

namespace fs = std::filesystem;
using Bytes = std::string;

fs::path root;

void put(const std::string& target, const std::string& name, const Bytes& b) {
  fs::create_directories(root / target);
  std::ofstream(root / target / name, std::ios::binary) << b;
}

Bytes be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
Bytes le(uint64_t v, int n) {
  Bytes b;
  for (int i = 0; i < n; ++i) b.push_back(char(v >> (8 * i)));
  return b;
}

Bytes idx(const std::vector<uint32_t>& dims, size_t data, uint8_t type = 8) {
  Bytes b = {0, 0, char(type), char(dims.size())};
  for (uint32_t d : dims) b += be32(d);
  for (size_t i = 0; i < data; ++i) b.push_back(char(i * 7 % 251));
  return b;
}

Bytes gzip(const Bytes& in) {
  z_stream s{};
  deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  Bytes out(deflateBound(&s, in.size()) + 32, '\0');
  s.next_in = (Bytef*)in.data();
  s.avail_in = (uInt)in.size();
  s.next_out = (Bytef*)out.data();
  s.avail_out = (uInt)out.size();
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

Bytes npy(const std::string& dict, const Bytes& data, int major = 1) {
  Bytes h = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + h.size() + 1) % 64) h.push_back(' ');
  h.push_back('\n');
  Bytes b = "\x93NUMPY";
  b.push_back(char(major));
  b.push_back(0);
  b += le(h.size(), major == 1 ? 2 : 4);
  return b + h + data;
}

Bytes safetensors(const std::string& header, const Bytes& data) {
  Bytes h = header;
  while (h.size() % 8) h.push_back(' ');
  return le(h.size(), 8) + h + data;
}

Bytes floats(std::vector<float> v) { return Bytes((const char*)v.data(), v.size() * 4); }

void write_fn(void* ctx, void* data, int size) { ((Bytes*)ctx)->append((const char*)data, size); }

Bytes image(bool png, int w, int h, int channels, int quality = 90) {
  std::vector<uint8_t> px(size_t(w) * h * channels);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 37 % 256);
  Bytes out;
  if (png) stbi_write_png_to_func(write_fn, &out, w, h, channels, px.data(), w * channels);
  else stbi_write_jpg_to_func(write_fn, &out, w, h, channels, px.data(), quality);
  return out;
}

// A PNG chunk with its CRC, for a hand-made header.
Bytes chunk(const std::string& type, const Bytes& data) {
  Bytes td = type + data;
  return be32(uint32_t(data.size())) + td + be32(uint32_t(crc32(0, (const Bytef*)td.data(), (uInt)td.size())));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus OUT_DIR (fuzz/corpus)\n");
    return 1;
  }
  root = argv[1];

  // --- IDX, plain and gzipped
  const Bytes labels = idx({10}, 10), images = idx({3, 4, 4}, 48), four = idx({2, 2, 2, 3}, 24);
  put("fuzz_idx", "labels", labels);
  put("fuzz_idx", "images", images);
  put("fuzz_idx", "four-dims", four);
  put("fuzz_idx", "zero-images", idx({0, 28, 28}, 0));
  put("fuzz_idx", "truncated", images.substr(0, images.size() - 5));
  put("fuzz_idx", "wrong-type", idx({2}, 8, 0x0d));
  put("fuzz_idx", "huge-header", idx({0x7fffffff, 28, 2}, 20));
  put("fuzz_idx", "extra-bytes", labels + "x");
  put("fuzz_gz", "labels.gz", gzip(labels));
  put("fuzz_gz", "images.gz", gzip(images));
  put("fuzz_gz", "huge-header.gz", gzip(idx({0x7fffffff, 28, 2}, 20)));
  put("fuzz_gz", "cut.gz", gzip(images).substr(0, 20));
  Bytes crc = gzip(labels);
  crc[crc.size() - 6] ^= 0x55;
  put("fuzz_gz", "bad-crc.gz", crc);
  put("fuzz_gz", "two-members.gz", gzip(labels.substr(0, 6)) + gzip(labels.substr(6)));

  // --- CIFAR-10 binary
  Bytes rec(3073, '\0');
  for (size_t i = 1; i < rec.size(); ++i) rec[i] = char(i % 256);
  rec[0] = 3;
  put("fuzz_cifar10", "one-record", rec);
  Bytes rec2 = rec;
  rec2[0] = 9;
  put("fuzz_cifar10", "two-records", rec + rec2);
  Bytes bad = rec;
  bad[0] = 10;
  put("fuzz_cifar10", "label-10", bad);
  put("fuzz_cifar10", "truncated", rec.substr(0, 3000));
  put("fuzz_cifar10", "empty", "");

  // --- .npy
  put("fuzz_npy", "f4-2x3", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats({1, 2, 3, 4, 5, 6})));
  put("fuzz_npy", "f8-4", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", Bytes(32, '\0')));
  put("fuzz_npy", "i8-labels", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", le(1, 8) + le(0, 8) + le(2, 8)));
  put("fuzz_npy", "u1-2x2", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", "\x01\x02\x03\x04"));
  put("fuzz_npy", "i4-0d", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", le(7, 4)));
  put("fuzz_npy", "v2-f4", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", floats({0.5f}), 2));
  put("fuzz_npy", "nan", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats({1, NAN})));
  put("fuzz_npy", "fortran", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", floats({1})));
  put("fuzz_npy", "complex", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", Bytes(8, '\0')));
  put("fuzz_npy", "huge-shape", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", floats({1})));
  Bytes longh = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats({1}));
  longh[8] = '\xff';
  longh[9] = '\xff';
  put("fuzz_npy", "header-too-long", longh);
  put("fuzz_npy", "bad-magic", "PK\x03\x04 not numpy");

  // --- safetensors
  const std::string x2 = R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  put("fuzz_safetensors", "two-tensors",
      safetensors(R"({"__metadata__":{"spec":"fc2","data":"mnist"},)" + x2 +
                      R"(,"y":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]}})",
                  floats({1, 2, 3, 4})));
  put("fuzz_safetensors", "empty-header", safetensors("{}", ""));
  put("fuzz_safetensors", "truncated", safetensors("{" + x2 + "}", floats({1})));
  put("fuzz_safetensors", "overlap",
      safetensors("{" + x2 + R"(,"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", floats({1, 2, 3})));
  put("fuzz_safetensors", "huge-header-size", le(~0ull, 8) + "{}");
  put("fuzz_safetensors", "not-json", safetensors("{\"x\": ", ""));

  // --- training states (ml-train --resume), checked against the harness's run: 3 epochs of 4 batches of 8, 30 images
  auto quoted = [](const std::string& text) {  // a JSON string holding text
    std::string q = "\"";
    for (char ch : text) q += ch == '"' || ch == '\\' ? std::string("\\") + ch : std::string(1, ch);
    return q + "\"";
  };
  auto state = [&](const std::string& progress, const std::string& manifest, const Bytes& weights) {
    const std::string meta = R"({"__metadata__":{"format":"microlearning-train-state","version":"1","progress":)" +
                             quoted(progress) + R"(,"tensors":)" + quoted(manifest) + "},";
    return safetensors(meta + R"("net/fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                              R"("opt/fc.weight.momentum":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}})",
                       weights);
  };
  const std::string both = R"({"net/fc.weight":[2,2],"opt/fc.weight.momentum":[2,2]})";
  auto history = [](int epochs) {  // metrics.csv rows of epochs 1..epochs
    std::string h = "[";
    for (int e = 1; e <= epochs; ++e)
      h += (e > 1 ? "," : "") + std::string("[") + std::to_string(e) + R"(,2.3,0.1,2.2,0.12,1.5,160,"nan","nan"])";
    return h + "]";
  };
  auto progress = [&](int epoch, int batch, int seen, const std::string& hist) {
    return R"({"epoch":)" + std::to_string(epoch) + R"(,"batch":)" + std::to_string(batch) +
           R"(,"loss_sum":3.5,"seconds":0.25,"correct":2,"seen":)" + std::to_string(seen) + R"(,"history":)" + hist +
           R"(,"alignment":[[1,4,"fc","angle_deg",12.5]],"snapshots":[["0.5",1,2,"nan","nan"]],"rng":{},"rule":{},)"
           R"("opt_steps":{},"rule_opt_steps":{}})";
  };
  const Bytes w = floats({1, 2, 3, 4, 0.1f, 0.2f, 0.3f, 0.4f});
  put("fuzz_train_state", "mid-epoch", state(progress(2, 1, 8, history(1)), both, w));
  put("fuzz_train_state", "last-batch", state(progress(3, 4, 30, history(2)), both, w));
  put("fuzz_train_state", "finished", state(progress(4, 0, 0, history(3)), both, w));
  put("fuzz_train_state", "batch-past-epoch", state(progress(2, 100001, 8, history(1)), both, w));
  put("fuzz_train_state", "epoch-past-run", state(progress(9, 0, 0, history(8)), both, w));
  put("fuzz_train_state", "moment-missing-from-file",
      state(progress(2, 1, 8, history(1)), R"({"net/fc.weight":[2,2],"opt/fc.weight.momentum":[2,2],"opt/x":[1]})", w));
  put("fuzz_train_state", "nan-weight", state(progress(2, 1, 8, history(1)), both, floats({1, NAN, 3, 4, 0, 0, 0, 0})));
  put("fuzz_train_state", "bad-progress", state("{\"epoch\": [", both, w));

  // --- PNG and JPEG
  put("fuzz_image", "grey.png", image(true, 4, 4, 1));
  put("fuzz_image", "rgb.png", image(true, 5, 3, 3));
  put("fuzz_image", "rgba.png", image(true, 3, 3, 4));
  put("fuzz_image", "grey.jpg", image(false, 8, 8, 1));
  put("fuzz_image", "rgb.jpg", image(false, 9, 7, 3, 50));
  const Bytes png = image(true, 6, 6, 3);
  put("fuzz_image", "truncated.png", png.substr(0, png.size() / 2));
  // a valid IHDR promising 8000 x 8000 grey pixels, then nothing
  Bytes ihdr = be32(8000) + be32(8000) + Bytes{8, 0, 0, 0, 0};
  put("fuzz_image", "huge.png", "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr) + chunk("IEND", ""));
  put("fuzz_image", "not-an-image.png", "this is not a PNG file");

  // --- JSON configs (config.json of a run, study.json of a study)
  put("fuzz_json_config", "config.json",
      R"({"rule":"bp","data":"fashion-mnist","epochs":3,"batch":64,"limit":12000,"seed":1,"train_samples":60000,)"
      R"("conv1":{"kind":"gabor","frozen":true},"lr":0.01})");
  put("fuzz_json_config", "study.json",
      R"({"preset":"quick","data":"fashion-mnist","data_dir":"","epochs":3,"limit":12000,"probe":500,"seeds":1,)"
      R"("device":"cpu","rules":["bp","fa"],"embeddings":[],"human":"",)"
      R"("runs":[{"name":"bp","rule":"bp","conv1":"learned","seed":1},{"name":"fa","rule":"fa","conv1":"","seed":1}]})");
  put("fuzz_json_config", "batch-zero.json", R"({"rule":"bp","epochs":3,"batch":0,"limit":0,"seed":1,"train_samples":10})");
  put("fuzz_json_config", "float-seed.json", R"({"rule":"bp","epochs":1e300,"batch":1,"limit":0,"seed":1.5,"train_samples":10})");
  put("fuzz_json_config", "escaping-run.json", R"({"runs":[{"name":"../../etc"}]})");
  put("fuzz_json_config", "deep.json", std::string(40, '[') + std::string(40, ']'));
  put("fuzz_json_config", "not-json.json", "{\"rule\": ");
  return 0;
}
