// Must NOT compile: nob refuses C++14 with a clear #error (meson test cpp-below-17).
#include <nob/named_semaphore.hpp>

int main() { return 0; }
