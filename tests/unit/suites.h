/* Declarations of the Check suites that make up the unit tests. */
#ifndef CONDUIT_TESTS_SUITES_H
#define CONDUIT_TESTS_SUITES_H

#include <check.h>

Suite *config_suite(void);
Suite *acpi_pm_suite(void);
Suite *acpi_hotplug_suite(void);
Suite *bzimage_suite(void);
Suite *memmap_suite(void);
Suite *ram_suite(void);
Suite *pci_suite(void);
Suite *msix_suite(void);
Suite *msi_suite(void);
Suite *virtqueue_suite(void);
Suite *serial_suite(void);
Suite *acpi_suite(void);
Suite *terminal_suite(void);
Suite *virtio_pci_suite(void);
Suite *host_pci_suite(void);
Suite *vfio_suite(void);
Suite *seccomp_suite(void);
Suite *cmos_suite(void);
Suite *fw_cfg_suite(void);
Suite *fw_linux_suite(void);
Suite *firmware_suite(void);
Suite *vfio_backend_suite(void);
Suite *vcpu_exit_suite(void);
Suite *arm64_kvm_suite(void);
Suite *vcpu_state_suite(void);
Suite *vm_suite(void);
Suite *dma_suite(void);
Suite *memslot_suite(void);
Suite *irq_suite(void);
Suite *pci_room_suite(void);
Suite *qmp_suite(void);
Suite *event_loop_suite(void);
Suite *exit_port_suite(void);
Suite *initramfs_suite(void);
Suite *modules_suite(void);
Suite *exec_suite(void);
Suite *snapshot_stream_suite(void);
Suite *vfio_migration_suite(void);
Suite *vfio_dirty_suite(void);
Suite *vfio_state_suite(void);
Suite *vcpu_save_suite(void);
Suite *vm_save_suite(void);
Suite *device_state_suite(void);
Suite *dirty_log_suite(void);
Suite *migrate_rounds_suite(void);
Suite *migrate_socket_suite(void);
Suite *arm64_image_suite(void);
Suite *arm64_layout_suite(void);
Suite *arm64_fdt_suite(void);
Suite *arm64_boot_suite(void);

#endif
