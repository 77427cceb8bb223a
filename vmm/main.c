/* conduit: a small KVM virtual machine monitor for PCI passthrough. */
#include <string.h>
#include "../vfio/host/commands.h"
#include "cli.h"
#include "config.h"
#include "exec.h"
#include "log.h"
#include "machine.h"
#include "qmp/client.h"
#include "vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	enum cli_result r;
	int code;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return qmp_ctl_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "exec"))
		return exec_main(argc - 1, argv + 1);
	if (argc > 1 && command_exists(argv[1]))
		return command_run(argc - 1, argv + 1);
	config_init(&cfg);
	r = cli_parse(argc, argv, &cfg);
	if (r != CLI_RUN) {
		config_free(&cfg);
		return r == CLI_EXIT_OK ? 0 : EXIT_USAGE;
	}
	if (cfg.verbose)
		log_verbosity = cfg.verbose > 1 ? LOG_DEBUG : LOG_INFO;
	code = machine_run(&cfg);
	config_free(&cfg);
	return code;
}
