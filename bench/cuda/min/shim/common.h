#pragma once
#include <cstdint>
#include <string>
#include <cstdio>
enum { CALICO_OK = 0, CALICO_ERR_CUDA = -3, CALICO_ERR_UNSUPPORTED = -4 };
enum { CALICO_F32 = 0, CALICO_F16 = 1, CALICO_BF16 = 2 };
namespace calico { inline int set_error(int c, const std::string& m) { fprintf(stderr, "%s\n", m.c_str()); return c; } }
