// emu_probe.cpp -- the CUDA probe of libcalico_cuda_emu.so (replaces cuda/device.cu in the emulation build).
extern "C" int calico_cuda_compiled(void) { return 1; }
extern "C" int calico_cuda_device_count(void) { return 1; }
extern "C" const char* calico_cuda_status(void) { return "CUDA EMULATED on the CPU (bench/gpu/emu, logic check only)"; }
