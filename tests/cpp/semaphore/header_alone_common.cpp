// Compile check: common.hpp on its own (no other nob header first).
#include <nob/common.hpp>

#include <string>

std::string nob_common_header_alone(std::string_view name) {
  if (!nob::is_valid_name(name)) return {};
  (void)nob::existence_policy::link_or_create;
  (void)nob::owner_check::same_uid;
  (void)nob::wait_result::interrupted;
  return nob::normalize_name(name);
}
