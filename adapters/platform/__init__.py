"""Platform adapters: what the device agent reads from the hardware it runs on.

Atlas stations through ``npu-smi``, HiSilicon SoC boards through /proc and /sys, and any other Linux
machine through psutil, each behind ``ports.platform.PlatformProbe``; ``detect.detect_probe`` picks one.
"""
