package dev.crewship.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundlePackerTest {
    @TempDir
    Path crew;
    @TempDir
    Path out;

    private void write(String path, String content) throws IOException {
        Path file = crew.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    /** Packs the crew and returns entry name → entry (content in {@link #contents}). */
    private Map<String, TarArchiveEntry> pack(List<String> exclude) throws IOException {
        BundlePacker.Bundle bundle = BundlePacker.pack(crew, exclude, out.resolve("bundle.tar.gz"));
        assertThat(bundle.compressedBytes()).isEqualTo(Files.size(bundle.file()));
        Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
        contents.clear();
        try (InputStream file = Files.newInputStream(bundle.file());
             TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(file))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                entries.put(entry.getName(), entry);
                if (entry.isFile()) {
                    contents.put(entry.getName(), new String(tar.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return entries;
    }

    private final Map<String, String> contents = new LinkedHashMap<>();

    @Test
    void packsFilesWithRelativeNamesInOrderWithTheirContent() throws IOException {
        write("crewship.toml", "[deployment]\n");
        write("src/pkg/crew.py", "print('hi')\n");
        write("requirements.txt", "");

        Map<String, TarArchiveEntry> entries = pack(List.of());

        assertThat(entries.keySet()).containsExactly("crewship.toml", "requirements.txt", "src/", "src/pkg/", "src/pkg/crew.py");
        assertThat(contents).containsEntry("src/pkg/crew.py", "print('hi')\n");
        assertThat(entries.get("src/").isDirectory()).isTrue();
    }

    @Test
    void neverPacksVirtualenvsGitBytecodeCachesOrArtifacts() throws IOException {
        write("crewship.toml", "");
        write("crew.py", "");
        write(".venv/bin/python", "");
        write(".git/HEAD", "");
        write("__pycache__/crew.cpython-311.pyc", "");
        write("src/pkg/__pycache__/x.pyc", "");
        write("artifacts/report.md", "");
        // Even a .gitignore that re-includes them does not bring them back.
        write(".gitignore", "!.venv\n!artifacts/\n");

        Map<String, TarArchiveEntry> entries = pack(List.of());

        assertThat(entries.keySet()).containsExactly(".gitignore", "crew.py", "crewship.toml", "src/", "src/pkg/");
    }

    @Test
    void honoursBuildExcludeGitignoreAndCrewshipignore() throws IOException {
        write("crewship.toml", "");
        write("crew.py", "");
        write("tests/test_crew.py", "");
        write("notes.log", "");
        write("data/big.csv", "");
        write("data/small.csv", "");
        write(".gitignore", "# logs\n*.log\n");
        write(".crewshipignore", "data/*\n!data/small.csv\n");

        Map<String, TarArchiveEntry> entries = pack(List.of("tests"));

        assertThat(entries.keySet()).containsExactly(".crewshipignore", ".gitignore", "crew.py", "crewship.toml", "data/", "data/small.csv");
    }

    @Test
    void aNestedGitignoreAppliesBelowItsFolderAndMayReinclude() throws IOException {
        write("crewship.toml", "");
        write(".gitignore", "*.json\n");
        write("config.json", "{}");
        write("src/.gitignore", "!settings.json\nlocal.py\n");
        write("src/settings.json", "{}");
        write("src/local.py", "");
        write("local.py", "");

        Map<String, TarArchiveEntry> entries = pack(List.of());

        assertThat(entries.keySet()).containsExactly(".gitignore", "crewship.toml", "local.py", "src/", "src/.gitignore", "src/settings.json");
    }

    @Test
    void crewshipTomlIsAlwaysPackedAndTheExclusionsAreReported() throws IOException {
        write("crewship.toml", "");
        write("crew.py", "");
        write("tests/a.py", "");

        BundlePacker.Bundle bundle = BundlePacker.pack(crew, List.of("*.toml", "tests/"), out.resolve("b.tar.gz"));

        assertThat(bundle.files()).isEqualTo(2);
        assertThat(bundle.excluded()).containsExactly("tests/");
    }

    @Test
    void keepsExecutableBitsAndStoresSymlinksAsLinks() throws IOException {
        write("crewship.toml", "");
        write("run.sh", "#!/bin/sh\n");
        Files.setPosixFilePermissions(crew.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(crew.resolve("link.sh"), Path.of("run.sh"));

        Map<String, TarArchiveEntry> entries = pack(List.of());

        assertThat(entries.get("run.sh").getMode() & 0111).isNotZero();
        assertThat(entries.get("crewship.toml").getMode() & 0111).isZero();
        assertThat(entries.get("link.sh").isSymbolicLink()).isTrue();
        assertThat(entries.get("link.sh").getLinkName()).isEqualTo("run.sh");
    }
}
