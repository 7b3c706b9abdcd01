// Installs what the test suite needs from Debian's archive when it is missing.
// Nothing needed yet beyond npm packages; later issues add dnsmasq, openssl, chromium.
