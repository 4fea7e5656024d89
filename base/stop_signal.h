// A polite stop: after install_stop_handlers(), the first SIGINT or SIGTERM
// only sets a flag (a second one acts as usual, killing at once), so the
// trainer can finish the batch, write a checkpoint and exit.
#pragma once

namespace ml {

void install_stop_handlers();
// The signal received (SIGINT, SIGTERM), or 0.
int stop_requested();
// "SIGINT", "SIGTERM", or the number.
const char* signal_name(int sig);

}  // namespace ml
