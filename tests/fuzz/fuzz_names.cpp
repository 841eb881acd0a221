// libFuzzer target: name validation. For any bytes, is_valid_name() agrees
// with normalize_name(), which either throws std::invalid_argument or returns
// "/" + 1..251 allowed bytes, not only dots, that stay valid and unchanged.
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
//     tests/fuzz/fuzz_names.cpp -o build-fuzz && ./build-fuzz -max_total_time=10
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nob/named_semaphore.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool valid = nob::is_valid_name(in);
  std::string out;
  try {
    out = nob::normalize_name(in);
  } catch (const std::invalid_argument&) {
    if (valid) std::abort();  // disagreement
    return 0;
  }
  if (!valid) std::abort();
  if (out.size() < 2 || out.size() > 252 || out[0] != '/') std::abort();
  bool only_dots = true;
  for (std::size_t i = 1; i < out.size(); ++i) {
    const char c = out[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) std::abort();
    only_dots = only_dots && c == '.';
  }
  if (only_dots) std::abort();
  if (nob::normalize_name(out) != out) std::abort();  // idempotent
  std::size_t slashes = 0;
  while (slashes < in.size() && in[slashes] == '/') ++slashes;
  if (in.substr(slashes) != std::string_view(out).substr(1)) std::abort();  // only slashes dropped
  return 0;
}
