(module
 (type $0 (func (param i32 i32 i32 i32 i32 i32 i32)))
 (type $1 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
 (type $2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
 (type $3 (func))
 (memory $0 1 65536)
 (export "memory" (memory $0))
 (export "run" (func $run))
 (func $xfc_gather_i8_run (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32) (param $4 i32) (param $5 i32) (param $6 i32)
  (local $7 i32)
  (local $8 i32)
  (local $9 i32)
  (local $10 i32)
  (local $11 i32)
  (local $12 i32)
  (local $13 i32)
  (if
   (i32.gt_s
    (local.get $3)
    (i32.const 0)
   )
   (then
    (loop $L3
     (local.set $13
      (i32.add
       (local.get $1)
       (i32.mul
        (local.get $11)
        (i32.mul
         (local.get $5)
         (local.get $6)
        )
       )
      )
     )
     (local.set $10
      (local.get $2)
     )
     (local.set $12
      (i32.const 0)
     )
     (if
      (i32.gt_s
       (local.get $4)
       (i32.const 0)
      )
      (then
       (loop $L2
        (local.set $8
         (i32.add
          (local.get $13)
          (i32.mul
           (local.get $6)
           (select
            (i32.add
             (local.tee $7
              (i32.wrap_i64
               (i64.load
                (local.get $10)
               )
              )
             )
             (local.get $5)
            )
            (local.get $7)
            (i32.lt_s
             (local.get $7)
             (i32.const 0)
            )
           )
          )
         )
        )
        (if
         (i32.ge_u
          (local.get $6)
          (i32.const 512)
         )
         (then
          (memory.copy
           (local.get $0)
           (local.get $8)
           (local.get $6)
          )
         )
         (else
          (local.set $7
           (local.get $0)
          )
          (if
           (local.tee $9
            (i32.shr_u
             (local.get $6)
             (i32.const 4)
            )
           )
           (then
            (loop $C0
             (v128.store align=1
              (local.get $7)
              (v128.load align=1
               (local.get $8)
              )
             )
             (local.set $7
              (i32.add
               (local.get $7)
               (i32.const 16)
              )
             )
             (local.set $8
              (i32.add
               (local.get $8)
               (i32.const 16)
              )
             )
             (br_if $C0
              (local.tee $9
               (i32.sub
                (local.get $9)
                (i32.const 1)
               )
              )
             )
            )
           )
          )
          (if
           (local.tee $9
            (i32.and
             (local.get $6)
             (i32.const 15)
            )
           )
           (then
            (loop $C1
             (i32.store8
              (local.get $7)
              (i32.load8_u
               (local.get $8)
              )
             )
             (local.set $7
              (i32.add
               (local.get $7)
               (i32.const 1)
              )
             )
             (local.set $8
              (i32.add
               (local.get $8)
               (i32.const 1)
              )
             )
             (br_if $C1
              (local.tee $9
               (i32.sub
                (local.get $9)
                (i32.const 1)
               )
              )
             )
            )
           )
          )
         )
        )
        (local.set $0
         (i32.add
          (local.get $0)
          (local.get $6)
         )
        )
        (local.set $10
         (i32.add
          (local.get $10)
          (i32.const 8)
         )
        )
        (br_if $L2
         (i32.lt_s
          (local.tee $12
           (i32.add
            (local.get $12)
            (i32.const 1)
           )
          )
          (local.get $4)
         )
        )
       )
      )
     )
     (br_if $L3
      (i32.lt_s
       (local.tee $11
        (i32.add
         (local.get $11)
         (i32.const 1)
        )
       )
       (local.get $3)
      )
     )
    )
   )
  )
 )
 (func $xfc_copy_run_r4_e4 (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32) (param $4 i32) (param $5 i32) (param $6 i32) (param $7 i32) (param $8 i32) (param $9 i32) (param $10 i32) (param $11 i32) (param $12 i32) (param $13 i32)
  (local $14 i32)
  (local $15 i32)
  (local $16 i32)
  (local $17 i32)
  (local $18 i32)
  (local $19 i32)
  (local $20 i32)
  (local $21 i32)
  (local $22 i32)
  (if
   (i32.gt_s
    (local.get $2)
    (i32.const 0)
   )
   (then
    (loop $L4
     (local.set $17
      (local.get $0)
     )
     (local.set $18
      (local.get $1)
     )
     (local.set $20
      (i32.const 0)
     )
     (if
      (i32.gt_s
       (local.get $3)
       (i32.const 0)
      )
      (then
       (loop $L3
        (local.set $9
         (local.get $17)
        )
        (local.set $13
         (local.get $18)
        )
        (local.set $21
         (i32.const 0)
        )
        (if
         (i32.gt_s
          (local.get $4)
          (i32.const 0)
         )
         (then
          (loop $L2
           (if
            (i32.ge_u
             (local.tee $19
              (i32.shl
               (local.get $5)
               (i32.const 2)
              )
             )
             (i32.const 512)
            )
            (then
             (memory.copy
              (local.get $9)
              (local.get $13)
              (local.get $19)
             )
            )
            (else
             (local.set $14
              (local.get $9)
             )
             (local.set $15
              (local.get $13)
             )
             (if
              (local.tee $16
               (i32.shr_u
                (local.get $19)
                (i32.const 4)
               )
              )
              (then
               (loop $C0
                (v128.store align=1
                 (local.get $14)
                 (v128.load align=1
                  (local.get $15)
                 )
                )
                (local.set $14
                 (i32.add
                  (local.get $14)
                  (i32.const 16)
                 )
                )
                (local.set $15
                 (i32.add
                  (local.get $15)
                  (i32.const 16)
                 )
                )
                (br_if $C0
                 (local.tee $16
                  (i32.sub
                   (local.get $16)
                   (i32.const 1)
                  )
                 )
                )
               )
              )
             )
             (if
              (local.tee $16
               (i32.and
                (local.get $19)
                (i32.const 15)
               )
              )
              (then
               (loop $C1
                (i32.store8
                 (local.get $14)
                 (i32.load8_u
                  (local.get $15)
                 )
                )
                (local.set $14
                 (i32.add
                  (local.get $14)
                  (i32.const 1)
                 )
                )
                (local.set $15
                 (i32.add
                  (local.get $15)
                  (i32.const 1)
                 )
                )
                (br_if $C1
                 (local.tee $16
                  (i32.sub
                   (local.get $16)
                   (i32.const 1)
                  )
                 )
                )
               )
              )
             )
            )
           )
           (local.set $9
            (i32.add
             (local.get $8)
             (local.get $9)
            )
           )
           (local.set $13
            (i32.add
             (local.get $12)
             (local.get $13)
            )
           )
           (br_if $L2
            (i32.lt_s
             (local.tee $21
              (i32.add
               (local.get $21)
               (i32.const 1)
              )
             )
             (local.get $4)
            )
           )
          )
         )
        )
        (local.set $17
         (i32.add
          (local.get $7)
          (local.get $17)
         )
        )
        (local.set $18
         (i32.add
          (local.get $11)
          (local.get $18)
         )
        )
        (br_if $L3
         (i32.lt_s
          (local.tee $20
           (i32.add
            (local.get $20)
            (i32.const 1)
           )
          )
          (local.get $3)
         )
        )
       )
      )
     )
     (local.set $0
      (i32.add
       (local.get $0)
       (local.get $6)
      )
     )
     (local.set $1
      (i32.add
       (local.get $1)
       (local.get $10)
      )
     )
     (br_if $L4
      (i32.lt_s
       (local.tee $22
        (i32.add
         (local.get $22)
         (i32.const 1)
        )
       )
       (local.get $2)
      )
     )
    )
   )
  )
 )
 (func $xfc_Where_v4_svs_r4 (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32) (param $4 i32) (param $5 i32) (param $6 i32) (param $7 i32) (param $8 i32) (param $9 i32) (param $10 i32) (param $11 i32) (param $12 i32) (param $13 i32) (param $14 i32) (param $15 i32) (param $16 i32) (param $17 i32) (param $18 i32) (param $19 i32) (param $20 i32) (param $21 i32) (param $22 i32) (param $23 i32)
  (local $24 i32)
  (local $25 i32)
  (local $26 i32)
  (local $27 i32)
  (local $28 i32)
  (local $29 i32)
  (local $30 i32)
  (local $31 i32)
  (local $32 i32)
  (local $33 i32)
  (local $34 i32)
  (local $35 i32)
  (local $36 i32)
  (local $37 i32)
  (local $38 i32)
  (local $39 i32)
  (if
   (i32.gt_s
    (local.get $4)
    (i32.const 0)
   )
   (then
    (loop $L4
     (local.set $29
      (local.get $0)
     )
     (local.set $30
      (local.get $1)
     )
     (local.set $31
      (local.get $2)
     )
     (local.set $32
      (local.get $3)
     )
     (local.set $37
      (i32.const 0)
     )
     (if
      (i32.gt_s
       (local.get $5)
       (i32.const 0)
      )
      (then
       (loop $L3
        (local.set $33
         (local.get $29)
        )
        (local.set $34
         (local.get $30)
        )
        (local.set $35
         (local.get $31)
        )
        (local.set $36
         (local.get $32)
        )
        (local.set $38
         (i32.const 0)
        )
        (if
         (i32.gt_s
          (local.get $6)
          (i32.const 0)
         )
         (then
          (loop $L2
           (local.set $24
            (local.get $33)
           )
           (local.set $25
            (local.get $34)
           )
           (local.set $26
            (local.get $35)
           )
           (local.set $27
            (local.get $36)
           )
           (if
            (local.tee $28
             (i32.shr_u
              (local.get $7)
              (i32.const 2)
             )
            )
            (then
             (loop $C0
              (v128.store align=4
               (local.get $24)
               (v128.bitselect
                (v128.load align=4
                 (local.get $26)
                )
                (v128.load32_splat
                 (local.get $27)
                )
                (i32x4.ne
                 (i32x4.splat
                  (i32.load8_u
                   (local.get $25)
                  )
                 )
                 (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
                )
               )
              )
              (local.set $24
               (i32.add
                (local.get $24)
                (i32.shl
                 (local.get $11)
                 (i32.const 2)
                )
               )
              )
              (local.set $25
               (i32.add
                (local.get $25)
                (i32.shl
                 (local.get $15)
                 (i32.const 2)
                )
               )
              )
              (local.set $26
               (i32.add
                (local.get $26)
                (i32.shl
                 (local.get $19)
                 (i32.const 2)
                )
               )
              )
              (local.set $27
               (i32.add
                (local.get $27)
                (i32.shl
                 (local.get $23)
                 (i32.const 2)
                )
               )
              )
              (br_if $C0
               (local.tee $28
                (i32.sub
                 (local.get $28)
                 (i32.const 1)
                )
               )
              )
             )
            )
           )
           (if
            (local.tee $28
             (i32.and
              (local.get $7)
              (i32.const 3)
             )
            )
            (then
             (loop $C1
              (i32.store
               (local.get $24)
               (select
                (i32.load
                 (local.get $26)
                )
                (i32.load
                 (local.get $27)
                )
                (i32.load8_u
                 (local.get $25)
                )
               )
              )
              (local.set $24
               (i32.add
                (local.get $11)
                (local.get $24)
               )
              )
              (local.set $25
               (i32.add
                (local.get $15)
                (local.get $25)
               )
              )
              (local.set $26
               (i32.add
                (local.get $19)
                (local.get $26)
               )
              )
              (local.set $27
               (i32.add
                (local.get $23)
                (local.get $27)
               )
              )
              (br_if $C1
               (local.tee $28
                (i32.sub
                 (local.get $28)
                 (i32.const 1)
                )
               )
              )
             )
            )
           )
           (local.set $33
            (i32.add
             (local.get $10)
             (local.get $33)
            )
           )
           (local.set $34
            (i32.add
             (local.get $14)
             (local.get $34)
            )
           )
           (local.set $35
            (i32.add
             (local.get $18)
             (local.get $35)
            )
           )
           (local.set $36
            (i32.add
             (local.get $22)
             (local.get $36)
            )
           )
           (br_if $L2
            (i32.lt_s
             (local.tee $38
              (i32.add
               (local.get $38)
               (i32.const 1)
              )
             )
             (local.get $6)
            )
           )
          )
         )
        )
        (local.set $29
         (i32.add
          (local.get $9)
          (local.get $29)
         )
        )
        (local.set $30
         (i32.add
          (local.get $13)
          (local.get $30)
         )
        )
        (local.set $31
         (i32.add
          (local.get $17)
          (local.get $31)
         )
        )
        (local.set $32
         (i32.add
          (local.get $21)
          (local.get $32)
         )
        )
        (br_if $L3
         (i32.lt_s
          (local.tee $37
           (i32.add
            (local.get $37)
            (i32.const 1)
           )
          )
          (local.get $5)
         )
        )
       )
      )
     )
     (local.set $0
      (i32.add
       (local.get $0)
       (local.get $8)
      )
     )
     (local.set $1
      (i32.add
       (local.get $1)
       (local.get $12)
      )
     )
     (local.set $2
      (i32.add
       (local.get $2)
       (local.get $16)
      )
     )
     (local.set $3
      (i32.add
       (local.get $3)
       (local.get $20)
      )
     )
     (br_if $L4
      (i32.lt_s
       (local.tee $39
        (i32.add
         (local.get $39)
         (i32.const 1)
        )
       )
       (local.get $4)
      )
     )
    )
   )
  )
 )
 (func $run
  (local $0 i32)
  (call $xfc_gather_i8_run
   (i32.load
    (i32.const 464)
   )
   (i32.const 64)
   (i32.load
    (i32.const 456)
   )
   (i32.const 1)
   (i32.mul
    (i32.load
     (i32.const 448)
    )
    (i32.load
     (i32.const 452)
    )
   )
   (i32.const 10)
   (i32.const 32)
  )
  (call $xfc_copy_run_r4_e4
   (i32.load
    (i32.const 468)
   )
   (i32.load
    (i32.const 464)
   )
   (i32.load
    (i32.const 448)
   )
   (i32.const 2)
   (i32.load
    (i32.const 452)
   )
   (i32.const 4)
   (local.tee $0
    (i32.shl
     (i32.load
      (i32.const 452)
     )
     (i32.const 5)
    )
   )
   (i32.shl
    (i32.load
     (i32.const 452)
    )
    (i32.const 4)
   )
   (i32.const 16)
   (i32.const 4)
   (local.get $0)
   (i32.const 16)
   (i32.const 32)
   (i32.const 4)
  )
  (call $xfc_Where_v4_svs_r4
   (i32.load
    (i32.const 472)
   )
   (i32.load
    (i32.const 460)
   )
   (i32.load
    (i32.const 468)
   )
   (i32.const 384)
   (i32.load
    (i32.const 448)
   )
   (i32.const 2)
   (i32.load
    (i32.const 452)
   )
   (i32.const 4)
   (i32.shl
    (i32.load
     (i32.const 452)
    )
    (i32.const 5)
   )
   (i32.shl
    (i32.load
     (i32.const 452)
    )
    (i32.const 4)
   )
   (i32.const 16)
   (i32.const 4)
   (i32.load
    (i32.const 452)
   )
   (i32.const 0)
   (i32.const 1)
   (i32.const 0)
   (i32.shl
    (i32.load
     (i32.const 452)
    )
    (i32.const 5)
   )
   (i32.shl
    (i32.load
     (i32.const 452)
    )
    (i32.const 4)
   )
   (i32.const 16)
   (i32.const 4)
   (i32.const 0)
   (i32.const 0)
   (i32.const 0)
   (i32.const 0)
  )
 )
)
