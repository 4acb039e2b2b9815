// A main() for the fuzz targets when they are built without libFuzzer (GCC,
// the normal build): runs LLVMFuzzerTestOneInput over the seed corpus so the
// properties each target asserts are checked by every ctest run.
//
// Usage: <target> PATH...   (each PATH a file or a directory of files)
// Every file runs whole, then as a few prefixes (cut points spread over the
// file), which exercises "unexpected end" paths without a fuzzing engine.
// Exits 0 when every input ran; a violated property aborts the process.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Cut points per file: bounded, so a large seed stays fast.
constexpr size_t kMaxPrefixes = 32;

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

void Run(const std::string& data) {
  // A copy of exactly `size` bytes, so ASan sees a read past the end.
  std::vector<uint8_t> bytes(data.begin(), data.end());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code error;
    if (std::filesystem::is_directory(arg, error)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  size_t runs = 0;
  for (const auto& file : files) {
    std::string data;
    if (!ReadFile(file, &data)) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 1;
    }
    std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(), data.size());
    Run(data);
    ++runs;
    const size_t step = std::max<size_t>(1, data.size() / kMaxPrefixes);
    for (size_t cut = 0; cut < data.size(); cut += step) {
      Run(data.substr(0, cut));
      ++runs;
    }
  }
  std::fprintf(stderr, "%zu inputs from %zu files ran clean\n", runs, files.size());
  return 0;
}
