// TempDir: a fresh directory under gtest's temp dir, removed with everything
// in it when the TempDir goes. Every test that needs files on disk (configs,
// SQLite files, certs, port files) makes one, so runs never share a path.
//
// Thread safety: read-only after construction; Write from one thread at a time
// per file.
#ifndef ACD_TESTS_SUPPORT_TEMP_DIR_H_
#define ACD_TESTS_SUPPORT_TEMP_DIR_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace acd::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "acd-XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::string& path() const { return path_; }
  // The path of `name` in the directory (made or not).
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to `name` (replacing it) and returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(File(name)) << text;
    return File(name);
  }

 private:
  std::string path_;
};

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_TEMP_DIR_H_
