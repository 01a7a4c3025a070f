;; Shared by kernel.wat and kernel-relaxed.wat (scripts/build-wasm.ts includes this text
;; where they say `;; @include kernel-select.wat`): the fused top list and the helpers that
;; finish a block of four rows. Both modules import `accept` as $accept.
;;
  ;; A top list lives in memory: `cap` item indices (i32) and their scores (f32), best
  ;; first, ties by the lower index first, and its length (i32) at $len. Items arrive in
  ;; increasing index order, so an item only enters with a strictly higher score than the
  ;; last one kept once the list is full, and moves up past strictly lower scores only:
  ;; the list is exactly selectTopN's (select.ts) over the same scores and exclusions.

  ;; Offers (item, score) to list $list (passed to accept); returns the list's new floor
  ;; (the last score kept, or -inf while it is not full).
  (func $offer (param $list i32) (param $items i32) (param $scores i32) (param $lenPtr i32) (param $cap i32)
    (param $useAccept i32) (param $item i32) (param $s f32) (result f32)
    (local $len i32) (local $j i32)
    (local.set $len (i32.load (local.get $lenPtr)))
    (block $skip
      (br_if $skip (f32.ne (local.get $s) (local.get $s)))
      (if (i32.eq (local.get $len) (local.get $cap))
        (then (br_if $skip (i32.eqz (f32.gt (local.get $s)
          (f32.load (i32.add (local.get $scores) (i32.shl (i32.sub (local.get $cap) (i32.const 1)) (i32.const 2)))))))))
      (if (local.get $useAccept)
        (then (br_if $skip (i32.eqz (call $accept (local.get $list) (local.get $item))))))
      (local.set $j (local.get $len))
      (if (i32.eq (local.get $len) (local.get $cap))
        (then (local.set $j (i32.sub (local.get $cap) (i32.const 1))))
        (else (local.set $len (i32.add (local.get $len) (i32.const 1)))))
      (block $placed
        (loop $shift
          (br_if $placed (i32.eqz (local.get $j)))
          (br_if $placed (i32.eqz (f32.lt
            (f32.load (i32.add (local.get $scores) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))))
            (local.get $s))))
          (i32.store (i32.add (local.get $items) (i32.shl (local.get $j) (i32.const 2)))
            (i32.load (i32.add (local.get $items) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))))
          (f32.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2)))
            (f32.load (i32.add (local.get $scores) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))
          (br $shift)))
      (i32.store (i32.add (local.get $items) (i32.shl (local.get $j) (i32.const 2))) (local.get $item))
      (f32.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
      (i32.store (local.get $lenPtr) (local.get $len)))
    (if (result f32) (i32.lt_u (local.get $len) (local.get $cap))
      (then (f32.const -inf))
      (else (f32.load (i32.add (local.get $scores) (i32.shl (i32.sub (local.get $cap) (i32.const 1)) (i32.const 2)))))))

  ;; The sums of the lanes of four i32x4 accumulators, as one i32x4 (a 4 x 4 transpose-add).
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $x v128) (local $y v128)
    (local.set $x (i32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $y (i32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    (i32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x) (local.get $y))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x) (local.get $y))))

  ;; f32(((f64(dot) * f64(scale)) * qScale + bias) + queryBias) for two lanes: the order
  ;; of scoreInt8 and of the JavaScript kernel, so the scores are the same bits.
  (func $finish2 (param $dots v128) (param $scales v128) (param $qScale v128) (param $bias v128) (param $queryBias v128) (result v128)
    (f32x4.demote_f64x2_zero
      (f64x2.add
        (f64x2.add
          (f64x2.mul (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $dots)) (f64x2.promote_low_f32x4 (local.get $scales))) (local.get $qScale))
          (f64x2.promote_low_f32x4 (local.get $bias)))
        (local.get $queryBias))))

  ;; The scores of rows k .. k+3 (k a multiple of 4 bytes into scales/biases) from their dots.
  (func $finish4 (param $dots v128) (param $scales i32) (param $biases i32) (param $k i32) (param $qScale v128) (param $queryBias v128) (result v128)
    (local $sc v128) (local $b v128) (local $lo v128) (local $hi v128)
    (local.set $sc (v128.load align=4 (i32.add (local.get $scales) (local.get $k))))
    (if (local.get $biases) (then (local.set $b (v128.load align=4 (i32.add (local.get $biases) (local.get $k))))))
    (local.set $lo (call $finish2 (local.get $dots) (local.get $sc) (local.get $qScale) (local.get $b) (local.get $queryBias)))
    (local.set $hi (call $finish2
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dots) (local.get $dots))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sc) (local.get $sc))
      (local.get $qScale)
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))
      (local.get $queryBias)))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
