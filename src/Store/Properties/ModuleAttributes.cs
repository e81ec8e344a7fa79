using System.Runtime.CompilerServices;

// Stack buffers (stackalloc) on the hot paths are always written before they are read; skipping
// the runtime's zeroing saves a 256-byte memset per read-modify-write.
[module: SkipLocalsInit]
