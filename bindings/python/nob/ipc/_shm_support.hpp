// Glue between nob/shared_memory.hpp and the Cython module
// nob.ipc._shared_memory: a constructor Cython can call with plain C values.
// Compiled into the extension, not installed.
#ifndef NOB_PY_SHM_SUPPORT_HPP
#define NOB_PY_SHM_SUPPORT_HPP

#include <Python.h>

#include <nob/shared_memory.hpp>

#include "_handle.hpp"

#include <cstddef>
#include <string>

namespace nob_py {

/// Opens or creates a shared memory object (see nob::named_shared_memory's
/// constructor; an empty `name`: create_unique()); nullptr with the Python
/// error set (filename: the name) when that fails.
inline nob::named_shared_memory* open_shared_memory(const std::string& name, int policy,
                                                    unsigned long long size, bool read_only,
                                                    unsigned int mode, bool same_uid,
                                                    bool allocate, PyObject* filename) noexcept {
  return or_set_error(filename, static_cast<nob::named_shared_memory*>(nullptr), [&] {
    if (name.empty())
      return new nob::named_shared_memory(nob::named_shared_memory::create_unique(
          static_cast<std::size_t>(size), read_only, static_cast<mode_t>(mode),
          allocate ? nob::shm_allocation::at_create : nob::shm_allocation::lazy));
    return new nob::named_shared_memory(
        name, static_cast<nob::existence_policy>(policy), static_cast<std::size_t>(size),
        read_only, static_cast<mode_t>(mode),
        same_uid ? nob::owner_check::same_uid : nob::owner_check::any_owner,
        allocate ? nob::shm_allocation::at_create : nob::shm_allocation::lazy);
  });
}

}  // namespace nob_py

#endif  // NOB_PY_SHM_SUPPORT_HPP
