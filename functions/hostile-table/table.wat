;; Hostile fixture: a WASI preview1 command that spends its memory budget on a table.
;;
;; Tables live outside linear memory, so a host that caps only memories lets a guest take host
;; memory through `table.grow` (a pointer per element). This module first grows its memory to
;; 127.5 MiB, half a MiB under the default 128 MB cap, then grows its table 10,000 elements at a
;; time until the host refuses. Counting 8 bytes per element against the same cap, the host must
;; stop it (a trap) before 65,536 more elements; a host that does not count tables lets it reach
;; its own table limit, after which `table.grow` returns -1 and the module writes
;; "table growth refused\n" to stdout and exits 0. Exit code 2: the memory grow was refused.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (table $t 1 funcref)

  ;; 0..8 iovec, 8..12 bytes written, 64.. the message.
  (data (i32.const 64) "table growth refused\n")

  (func $start (export "_start")
    ;; 1 + 2039 pages of 64 KiB = 127.5 MiB.
    (if (i32.eq (memory.grow (i32.const 2039)) (i32.const -1))
      (then (call $proc_exit (i32.const 2)) unreachable))
    (block $refused
      (loop $grow
        (br_if $refused
          (i32.eq (table.grow $t (ref.null func) (i32.const 10000)) (i32.const -1)))
        (br $grow)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
