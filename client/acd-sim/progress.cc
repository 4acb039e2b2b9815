#include "client/acd-sim/progress.h"

#include <iostream>

namespace acd::sim {

ProgressBoard::ProgressBoard(bool enabled) : enabled_(enabled) {
  if (enabled_) printer_ = std::thread([this] { Run(); });
}

ProgressBoard::~ProgressBoard() {
  if (!enabled_) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  printer_.join();
}

void ProgressBoard::Set(int slot, std::string text) {
  if (!enabled_) return;
  absl::MutexLock lock(&mu_);
  if (text.empty()) {
    lines_.erase(slot);
  } else {
    lines_[slot] = std::move(text);
  }
}

void ProgressBoard::Clear() {
  if (!enabled_) return;
  absl::MutexLock lock(&mu_);
  lines_.clear();
  Blank();
}

void ProgressBoard::Blank() {
  if (last_width_ == 0) return;
  std::cerr << '\r' << std::string(last_width_, ' ') << '\r' << std::flush;
  last_width_ = 0;
}

void ProgressBoard::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    const bool stopping = mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Seconds(1));
    if (stopping || lines_.empty()) {
      Blank();
      if (stopping) return;
      continue;
    }
    std::string line;
    for (const auto& [slot, text] : lines_) {
      if (!line.empty()) line += " | ";
      line += text;
    }
    const size_t width = line.size();
    if (width < last_width_) line.append(last_width_ - width, ' ');
    last_width_ = width;
    std::cerr << '\r' << line << std::flush;
  }
}

}  // namespace acd::sim
