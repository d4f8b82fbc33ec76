;; Custom-runtime fixture: a hand-written WASI preview1 command module.
;;
;; Copies stdin to stdout until fd_read reports 0 bytes, writes "echo-wat: done\n" to stderr and
;; returns from _start (exit code 0). An I/O error exits with code 1 through proc_exit.
;;
;; Memory layout (one 64 KiB page):
;;   0..8     iovec { buf, len } for fd_read
;;   8..12    bytes read
;;   16..24   iovec { buf, len } for fd_write
;;   24..28   bytes written
;;   64..79   "echo-wat: done\n"
;;   1024..   copy buffer (63 KiB)
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  (data (i32.const 64) "echo-wat: done\n")

  (global $buf i32 (i32.const 1024))
  (global $buf_len i32 (i32.const 64512))

  (func $start (export "_start")
    (local $n i32)
    (block $eof
      (loop $copy
        (i32.store (i32.const 0) (global.get $buf))
        (i32.store (i32.const 4) (global.get $buf_len))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $fail)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write_all (i32.const 1) (global.get $buf) (local.get $n))
        (br $copy)))
    (call $write_all (i32.const 2) (i32.const 64) (i32.const 15)))

  ;; Write all `len` bytes at `ptr` to `fd`, retrying on short writes.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32)
    (local $written i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 16) (local.get $ptr))
        (i32.store (i32.const 20) (local.get $len))
        (if (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24))
          (then (call $fail)))
        (local.set $written (i32.load (i32.const 24)))
        (if (i32.eqz (local.get $written))
          (then (call $fail)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $written)))
        (local.set $len (i32.sub (local.get $len) (local.get $written)))
        (br $more))))

  (func $fail
    (call $proc_exit (i32.const 1))
    unreachable)
)
