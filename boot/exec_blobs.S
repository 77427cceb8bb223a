/* What `conduit exec` puts in every guest's initramfs besides busybox
 * and the command: the init script (boot/exec_init.sh) and the report
 * helper (build/boot/exec_report, assembled from boot/x86/exec_report.S), as
 * read-only data between exec_init / exec_init_end and exec_report /
 * exec_report_end. The Makefile puts boot and build/boot on the
 * assembler's include path. */
	.section .rodata
	.balign	16
	.globl	exec_init
	.globl	exec_init_end
	.type	exec_init, @object
exec_init:
	.incbin	"exec_init.sh"
exec_init_end:
	.size	exec_init, exec_init_end - exec_init

	.balign	16
	.globl	exec_report
	.globl	exec_report_end
	.type	exec_report, @object
exec_report:
	.incbin	"exec_report"
exec_report_end:
	.size	exec_report, exec_report_end - exec_report

	.section .note.GNU-stack, "", @progbits
