# The image the Docker executor runs scripts in, built with no registry.
SANDBOX_IMAGE ?= saaslens-sandbox:latest

.PHONY: sandbox-image
sandbox-image:
	images/sandbox/build.sh $(SANDBOX_IMAGE)
