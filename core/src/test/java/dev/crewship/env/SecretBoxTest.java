package dev.crewship.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {
    @TempDir
    Path dir;

    @Test
    void theKeyFileIsCreatedPrivateOnceAndReused() throws Exception {
        Path keyFile = dir.resolve("secret.key");
        SecretBox first = SecretBox.loadOrCreate(keyFile);
        byte[] key = Files.readAllBytes(keyFile);

        assertThat(key).hasSize(SecretBox.KEY_BYTES);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        byte[] sealed = first.encrypt("sk-secret", "ctx");
        SecretBox second = SecretBox.loadOrCreate(keyFile);
        assertThat(Files.readAllBytes(keyFile)).isEqualTo(key);
        assertThat(second.decrypt(sealed, "ctx")).isEqualTo("sk-secret");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(keyFile);
        }
    }

    @Test
    void valuesAreSealedWithAFreshNonceAndBoundToTheirContext() {
        SecretBox box = SecretBox.loadOrCreate(dir.resolve("secret.key"));
        byte[] once = box.encrypt("sk-secret-value", "project-a/OPENAI_API_KEY");
        byte[] twice = box.encrypt("sk-secret-value", "project-a/OPENAI_API_KEY");

        assertThat(once).isNotEqualTo(twice);
        assertThat(new String(once, StandardCharsets.ISO_8859_1)).doesNotContain("sk-secret-value");
        assertThat(box.decrypt(once, "project-a/OPENAI_API_KEY")).isEqualTo("sk-secret-value");
        assertThatThrownBy(() -> box.decrypt(once, "project-b/OPENAI_API_KEY")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anotherKeyCannotDecryptAndATamperedValueIsRefused() {
        SecretBox box = SecretBox.loadOrCreate(dir.resolve("a.key"));
        SecretBox other = SecretBox.loadOrCreate(dir.resolve("b.key"));
        byte[] sealed = box.encrypt("value", "ctx");

        assertThatThrownBy(() -> other.decrypt(sealed, "ctx")).hasMessageContaining("secret.key");
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> box.decrypt(sealed, "ctx")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aDamagedKeyFileStopsTheServerWithAClearMessage() throws Exception {
        Path keyFile = dir.resolve("secret.key");
        Files.write(keyFile, new byte[5]);

        assertThatThrownBy(() -> SecretBox.loadOrCreate(keyFile)).hasMessageContaining("damaged").hasMessageContaining("backup");
    }
}
