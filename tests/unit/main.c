/* Entry point of the unit tests: runs every suite and fails on any failure. */
#include <stdlib.h>
#include "suites.h"

int main(void)
{
	Suite *(*const suites[])(void) = {
		config_suite, bzimage_suite, memmap_suite, ram_suite, pci_suite,
		msix_suite, msi_suite, virtqueue_suite, serial_suite, acpi_suite,
		terminal_suite, virtio_pci_suite,
		host_pci_suite,
		vfio_suite,
		acpi_pm_suite,
		acpi_hotplug_suite,
		seccomp_suite,
		cmos_suite, fw_cfg_suite,
		fw_linux_suite, firmware_suite,
		vfio_backend_suite,
		vcpu_exit_suite, vcpu_state_suite, vm_suite, dma_suite, memslot_suite, irq_suite,
		pci_room_suite, qmp_suite, event_loop_suite,
		exit_port_suite, initramfs_suite, modules_suite, exec_suite,
		snapshot_stream_suite,
		vfio_migration_suite, vfio_dirty_suite, vfio_state_suite,
		vcpu_save_suite, vm_save_suite,
		device_state_suite,
		dirty_log_suite, live_dirty_suite, migrate_rounds_suite, migrate_socket_suite,
		migrate_throttle_suite,
		arm64_image_suite, arm64_layout_suite, arm64_fdt_suite, arm64_boot_suite,
		arm64_kvm_suite,
	};
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
