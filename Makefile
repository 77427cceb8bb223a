# conduit: a small KVM VMM for PCI passthrough.
#   make            build ./conduit
#   make STATIC=1   link it statically (for the nested test guest)
#   make check      unit tests (Check) and command-line tests; no KVM needed
#   make e2e        end-to-end tests: nested under QEMU, or native on a dev box
#   make test       check + e2e (what CI runs)
#   make demo       boot the default guest (nested under QEMU where needed)
#   make bench      boot-time and memory benchmark against QEMU

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -Werror=implicit-function-declaration -D_GNU_SOURCE -MMD -MP
LDLIBS  += -luring -lpthread
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

SRCS := $(wildcard vmm/*.c devices/*.c boot/*.c vfio/*.c)
OBJS := $(SRCS:%.c=build/%.o)
LIB_OBJS := $(filter-out build/vmm/main.o,$(OBJS))

TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=build/%.o)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

all: conduit

conduit: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

build/unit-tests: $(TEST_OBJS) $(LIB_OBJS)
	$(CC) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

check: conduit build/unit-tests
	./build/unit-tests
	sh tests/cli/run.sh ./conduit
	sh tests/cli/host_pci.sh ./conduit

# The nested harness copies a static conduit into its L1 initramfs.
build/conduit-static: $(OBJS)
	$(CC) -static -o $@ $^ $(LDLIBS)

e2e: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/run.sh

test: check e2e

demo: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/run.sh --demo

bench: build/conduit-static
	CONDUIT_BIN=$(CURDIR)/build/conduit-static bash tests/nested/bench.sh

clean:
	rm -rf build conduit

.PHONY: all check e2e test demo bench clean
-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d)
