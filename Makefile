# Descent — the two commands are `make run` and `make test`; both work as root on a fresh
# Debian machine with Swift installed (they install the system libraries when missing).

SWIFT       ?= swift
APT_PACKAGES = libopenblas-dev liblapacke-dev pkg-config
# Only the tests need these: rsvg-convert renders the SVG plots to prove they are valid.
TEST_APT_PACKAGES = librsvg2-bin
RELEASE_BIN  = .build/release/descent

.PHONY: setup setup-test build release run test bench bench-peers clean

# Installs the missing Debian packages without a prompt (apt-get update first, once).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	    || { echo "could not install:$$missing" >&2; exit 1; }; \
	fi
endef

setup:
	$(call apt_install,$(APT_PACKAGES))

setup-test: setup
	$(call apt_install,$(TEST_APT_PACKAGES))

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job: the chapter's thermometer walkthrough on the embedded data.
run: release
	$(RELEASE_BIN) thermometer --plot plots

test: setup-test
	$(SWIFT) test

bench: release
	$(RELEASE_BIN) bench

clean:
	rm -rf .build
