;; The scoring kernel's relaxed-SIMD part: the compressed path's coarse pass (kernel.wat,
;; topInt4) with i32x4.relaxed_dot_i8x16_i7x16_add_s, which multiplies 16 byte pairs and
;; adds them in groups of four into an i32x4 in one instruction. Runtimes may read either
;; operand as unsigned (V8's two compilers differ), so both are kept in 0..127, where every
;; reading agrees and nothing saturates: the codes u (1..15) and the query plus 64 (the
;; coarse query is quantised to |q| <= 63). Then
;;     dot(q, u - 8) = dot(q + 64, u) - 64 * sum(u) - 8 * sum(q),
;; with sum(u) per row from buildInt4, gives the same integers, hence the same candidates,
;; as topInt4 (tests check it).
;;
;; A runtime without relaxed SIMD cannot compile this module: wasm-kernel.ts uses it only
;; where it compiles (Node: WebAssembly.validate; workerd imports it compiled, and has it).
;; Built by scripts/build-wasm.ts into kernel-relaxed.wasm, which is committed.
(module
  (import "env" "memory" (memory 1))
  (import "env" "accept" (func $accept (param i32 i32) (result i32)))

  ;; @include kernel-select.wat

  ;; As topInt4, the query given as bytes q + 64 in the order of the values (for each 32
  ;; values, the 16 of the low nibbles, then the 16 of the high ones), and $usum the rows'
  ;; sums of codes (i32).
  (func (export "topInt4Relaxed")
    (param $codes i32) (param $scales i32) (param $biases i32) (param $query i32)
    (param $n i32) (param $dim i32) (param $qScale f64) (param $queryBias f64) (param $qSum8 i32) (param $usum i32)
    (param $items i32) (param $scores i32) (param $lenPtr i32) (param $cap i32) (param $useAccept i32)
    (result i32)
    (local $i i32) (local $stride i32) (local $c i32) (local $qc i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $ql v128) (local $qh v128) (local $x v128)
    (local $mask v128) (local $vq v128) (local $vb v128) (local $s v128) (local $floor f32) (local $lane i32)
    (i32.store (local.get $lenPtr) (i32.const 0))
    (if (i32.or (i32.le_s (local.get $dim) (i32.const 0)) (i32.eqz (local.get $cap))) (then (return (i32.const 0))))
    (local.set $floor (f32.const -inf))
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $vq (f64x2.splat (local.get $qScale)))
    (local.set $vb (f64x2.splat (local.get $queryBias)))
    (local.set $stride (i32.shr_u (local.get $dim) (i32.const 1)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r0 (i32.add (local.get $codes) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $stride)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $stride)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $stride)))
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n))
          (then
            (local.set $r3 (local.get $r0))
            (if (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)) (then (local.set $r2 (local.get $r0))))
            (if (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then (local.set $r1 (local.get $r0))))))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (local.set $qc (local.get $query))
        (loop $chunks
          (local.set $ql (v128.load offset=0 (local.get $qc)))
          (local.set $qh (v128.load offset=16 (local.get $qc)))
          (local.set $x (v128.load align=1 (i32.add (local.get $r0) (local.get $c))))
          (local.set $a0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $qh) (i8x16.shr_u (local.get $x) (i32.const 4))
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $ql) (v128.and (local.get $x) (local.get $mask)) (local.get $a0))))
          (local.set $x (v128.load align=1 (i32.add (local.get $r1) (local.get $c))))
          (local.set $a1 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $qh) (i8x16.shr_u (local.get $x) (i32.const 4))
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $ql) (v128.and (local.get $x) (local.get $mask)) (local.get $a1))))
          (local.set $x (v128.load align=1 (i32.add (local.get $r2) (local.get $c))))
          (local.set $a2 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $qh) (i8x16.shr_u (local.get $x) (i32.const 4))
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $ql) (v128.and (local.get $x) (local.get $mask)) (local.get $a2))))
          (local.set $x (v128.load align=1 (i32.add (local.get $r3) (local.get $c))))
          (local.set $a3 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $qh) (i8x16.shr_u (local.get $x) (i32.const 4))
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $ql) (v128.and (local.get $x) (local.get $mask)) (local.get $a3))))
          (local.set $qc (i32.add (local.get $qc) (i32.const 32)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $chunks (i32.lt_u (local.get $c) (local.get $stride))))
        (local.set $s (call $finish4
          (i32x4.sub
            (i32x4.sub (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)) (i32x4.splat (local.get $qSum8)))
            (i32x4.shl (v128.load align=4 (i32.add (local.get $usum) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 6)))
          (local.get $scales) (local.get $biases) (i32.shl (local.get $i) (i32.const 2)) (local.get $vq) (local.get $vb)))
        (if (i32.or (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))
              (v128.any_true (f32x4.gt (local.get $s) (f32x4.splat (local.get $floor)))))
          (then
            (local.set $lane (i32.const 0))
            (block $lanes_done
              (loop $lanes
                (br_if $lanes_done (i32.ge_u (i32.add (local.get $i) (local.get $lane)) (local.get $n)))
                (br_if $lanes_done (i32.ge_u (local.get $lane) (i32.const 4)))
                (local.set $floor (call $offer (i32.const 0) (local.get $items) (local.get $scores) (local.get $lenPtr) (local.get $cap)
                  (local.get $useAccept) (i32.add (local.get $i) (local.get $lane))
                  (f32x4.extract_lane 0 (i8x16.swizzle (local.get $s)
                    (i8x16.add (i8x16.splat (i32.shl (local.get $lane) (i32.const 2))) (v128.const i8x16 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3))))))
                (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                (br $lanes)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    (i32.load (local.get $lenPtr)))
)
