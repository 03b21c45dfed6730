/*
 * IPC_STAT with the time64 bit: the kernel's 32-bit ipc structures split
 * each time into _lo/_hi words, which musl joins into the time_t fields.
 */
#define IPC_STAT 0x102
