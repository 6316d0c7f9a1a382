/* The secrets a fault test knows, and a check that a text holds none. */
#ifndef FAULTS_SECRETS_H
#define FAULTS_SECRETS_H

#include <stddef.h>
#include <stdint.h>

/* Learns the passphrases, the message, the private keys signer.pem and
 * alice.pem (PEM lines, raw scalars) and the data and payload keys of the
 * envelope at env_path (sealed to alice). */
void secrets_learn(const char *keys_dir, const char *passphrase, const char *wrong_passphrase,
                   const uint8_t *msg, size_t msg_len, const char *env_path);
/* 1 if text shows none of them, raw or in hex. */
int secrets_absent(const char *text);
void secrets_forget(void);

#endif
