/* The guest side of tests/kvm/arm64_probe.c: position-independent arm64
 * code copied to the start of the probe VM's RAM and run with the MMU off.
 * vCPU 0 reports its boot registers and what it reads (X0, CurrentEL, DAIF,
 * a UART register read by MMIO, the distributor's pending bits of SPIs
 * 0-31) by single-register stores to the probe's report area (MMIO, so
 * each is an exit the probe checks), writes "OK" to the UART, starts
 * vCPU 1 with PSCI CPU_ON, waits for its flag in RAM, makes one store
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
	stp	x1, x1, [x11, #128]	/* no syndrome: KVM_EXIT_ARM_NISV */
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
