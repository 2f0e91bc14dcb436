/*
 * print_cuda.h — the CUDA printer and its two commands (print_cuda.c).
 *
 * The printer walks the same Schedule (and TrainPlan) as the C printer and writes
 * one CUDA source per network: an instance of a templates/cuda kernel per step
 * (shape constants as #defines, the template text inlined, so the source stands
 * alone), compiled by NVRTC to CUBIN per architecture plus PTX, and by the host C
 * compiler to the emulator's image.  The host side is C that embeds the images and
 * launches the kernels through runtime/cuda_driver.h, behind the same netc_model
 * descriptor the CPU build exports (init, parameters and checkpoints are the CPU
 * code's; run, train_step and eval_loss upload, launch and download).
 */
#ifndef PRINT_CUDA_H
#define PRINT_CUDA_H

/* `netc build FILE.net --target cuda ...` (build.c hands over the whole command line). */
int cmd_build_cuda(int argc, char **argv);
/* `netc emit-cuda FILE.net -o DIR [--cuda-arch ...]`. */
int cmd_emit_cuda(int argc, char **argv);
#endif
