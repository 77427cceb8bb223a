/* The guest side of tests/kvm/arm64_probe.c: position-independent arm64
 * code copied to the start of the probe VM's RAM and run with the MMU off.
 * vCPU 0 reports its boot registers and what it reads (X0, CurrentEL, DAIF,
 * a UART register read by MMIO, the distributor's pending bits of SPIs
 * 0-31) by single-register stores to the probe's report area (MMIO, so
 * each is an exit the probe checks), writes "OK" to the UART, starts
 * vCPU 1 with PSCI CPU_ON, waits for its flag in RAM, acknowledges the
 * INTx SPI and EOIs it, sets up LPIs and the ITS for device 0x10 and
 * acknowledges the LPI the probe's MSI route raises, makes one store
 * pair to MMIO (which KVM cannot decode: KVM_EXIT_ARM_NISV) and powers
 * off with PSCI SYSTEM_OFF. vCPU 1 writes "S", reports its context id and
 * MPIDR, sets the flag and calls PSCI CPU_OFF. Offsets of the report area
 * are the REP_* values of arm64_probe.c. */
	.text
	.global probe_guest_start, probe_guest_end
	.balign 4
probe_guest_start:
	ldr	x9, =0x09000000		/* UART */
	ldr	x11, =0x09000100	/* the probe's report area */
	str	x0, [x11, #0]		/* X0 at entry: the DTB address */
	mrs	x1, CurrentEL
	str	x1, [x11, #8]
	mrs	x1, daif
	str	x1, [x11, #16]
	mov	w10, #'O'
	strb	w10, [x9]
	mov	w10, #'K'
	strb	w10, [x9]
	ldrb	w1, [x9, #5]		/* LSR, answered by the probe */
	str	x1, [x11, #24]
	ldr	x12, =0x08000204	/* GICD_ISPENDR1: intids 32-63 */
	ldr	w1, [x12]
	str	x1, [x11, #32]
	ldr	x0, =0xc4000003		/* PSCI CPU_ON (SMC64) */
	mov	x1, #1			/* target: vCPU 1's MPIDR affinity */
	adr	x2, secondary
	ldr	x3, =0x5ec0		/* context id: vCPU 1's X0 */
	hvc	#0
	str	x0, [x11, #40]		/* CPU_ON's result: 0 = success */
	adr	x13, flag
1:	ldr	x1, [x13]
	cbz	x1, 1b
	str	x1, [x11, #48]

	/* The GIC CPU interface by system registers, all priorities let
	 * through, group 1 on; the distributor on, SPI 3 (INTA of slot 0,
	 * raised by the probe's irqfd) level-triggered, as the device tree
	 * says (KVM starts SPIs edge-triggered: no EOI, no resample), and
	 * enabled. With DAIF masked nothing is
	 * taken: ICC_IAR1_EL1 is polled. */
	mov	x1, #7
	msr	S3_0_C12_C12_5, x1	/* ICC_SRE_EL1 */
	isb
	mov	x1, #0xff
	msr	S3_0_C4_C6_0, x1	/* ICC_PMR_EL1 */
	mov	x1, #1
	msr	S3_0_C12_C12_7, x1	/* ICC_IGRPEN1_EL1 */
	isb
	ldr	x20, =0x08000000	/* GICD */
	mov	w1, #0x12		/* ARE_NS, EnableGrp1NS */
	str	w1, [x20]
	str	wzr, [x20, #0xc08]	/* GICD_ICFGR2: intids 32-47 level (KVM: edge) */
	mov	w1, #(1 << 3)		/* intid 35 */
	str	w1, [x20, #0x104]	/* GICD_ISENABLER1 */
	dsb	sy
	isb
	ldr	x21, =0x1000000
4:	mrs	x1, S3_0_C12_C12_0	/* ICC_IAR1_EL1 */
	cmp	x1, #1023
	b.ne	5f
	subs	x21, x21, #1
	b.ne	4b
5:	str	x1, [x11, #80]		/* the INTx's intid */
	msr	S3_0_C12_C12_1, x1	/* ICC_EOIR1_EL1: the resample fd fires */
	isb
	str	xzr, [x11, #120]	/* an exit: KVM folds the EOI */
	mrs	x1, S3_0_C12_C12_0
	str	x1, [x11, #88]		/* the line is low now: 1023 */

	/* LPIs: the configuration table (LPI 8192 enabled, priority 0xa0)
	 * and pending table on vCPU 0's redistributor, then the ITS: device
	 * and collection tables, a command queue with MAPD (device 0x10,
	 * the probe's 00:02.0), MAPC (collection 0 -> vCPU 0) and MAPTI
	 * (event 0 -> LPI 8192). */
	ldr	x22, =0x40200000
	mov	w1, #0xa1
	strb	w1, [x22]
	ldr	x23, =0x080a0000	/* GICR RD_base of vCPU 0 */
	ldr	x1, =0x4020000d		/* GICR_PROPBASER: 14 ID bits */
	str	x1, [x23, #0x70]
	ldr	x1, =0x40210000		/* GICR_PENDBASER */
	str	x1, [x23, #0x78]
	mov	w1, #1
	str	w1, [x23]		/* GICR_CTLR.EnableLPIs */
	ldr	x24, =0x08080000	/* GITS */
	ldr	x1, =0x8000000040220200	/* GITS_BASER0: valid, 64 KiB pages */
	str	x1, [x24, #0x100]
	ldr	x1, =0x8000000040230200	/* GITS_BASER1 */
	str	x1, [x24, #0x108]
	ldr	x1, =0x8000000040250000	/* GITS_CBASER: valid, 4 KiB */
	str	x1, [x24, #0x80]
	mov	w1, #1
	str	w1, [x24]		/* GITS_CTLR.Enabled */
	ldr	x25, =0x40250000
	ldr	x1, =0x0000001000000008	/* MAPD device 0x10 */
	str	x1, [x25, #0]
	mov	x1, #4			/* 5 event id bits */
	str	x1, [x25, #8]
	ldr	x1, =0x8000000040240000	/* valid, ITT */
	str	x1, [x25, #16]
	str	xzr, [x25, #24]
	mov	x1, #9			/* MAPC */
	str	x1, [x25, #32]
	str	xzr, [x25, #40]
	mov	x1, #1
	lsl	x1, x1, #63		/* valid, vCPU 0, collection 0 */
	str	x1, [x25, #48]
	str	xzr, [x25, #56]
	ldr	x1, =0x000000100000000a	/* MAPTI device 0x10 */
	str	x1, [x25, #64]
	ldr	x1, =0x0000200000000000	/* event 0 -> LPI 8192 */
	str	x1, [x25, #72]
	str	xzr, [x25, #80]
	str	xzr, [x25, #88]
	dsb	sy
	mov	x1, #96
	str	x1, [x24, #0x88]	/* GITS_CWRITER: three commands */
	ldr	x1, [x24, #0x90]	/* GITS_CREADR */
	str	x1, [x11, #96]
	str	xzr, [x11, #104]	/* the probe sends its MSIs now */
	ldr	x21, =0x1000000
6:	mrs	x1, S3_0_C12_C12_0
	cmp	x1, #1023
	b.ne	7f
	subs	x21, x21, #1
	b.ne	6b
7:	str	x1, [x11, #112]		/* the MSI's LPI */
	msr	S3_0_C12_C12_1, x1
	isb

	stp	x1, x1, [x11, #256]	/* no syndrome: KVM_EXIT_ARM_NISV */
	ldr	x0, =0x84000008		/* PSCI SYSTEM_OFF */
	hvc	#0
	str	x0, [x11, #72]		/* not reached */
2:	b	2b

secondary:
	ldr	x9, =0x09000000
	ldr	x11, =0x09000100
	str	x0, [x11, #56]		/* the context id */
	mrs	x1, mpidr_el1
	str	x1, [x11, #64]
	mov	w10, #'S'
	strb	w10, [x9]
	adr	x13, flag
	mov	x1, #1
	str	x1, [x13]
	ldr	x0, =0x84000002		/* PSCI CPU_OFF */
	hvc	#0
3:	b	3b

	.ltorg
	.balign 8
flag:	.quad	0
probe_guest_end:
