package dev.crewship.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IgnorePatternTest {
    private static IgnorePattern pattern(String line) {
        return IgnorePattern.parse(line, "").orElseThrow();
    }

    @Test
    void blankLinesAndCommentsAreNoPatterns() {
        assertThat(IgnorePattern.parse("", "")).isEmpty();
        assertThat(IgnorePattern.parse("   ", "")).isEmpty();
        assertThat(IgnorePattern.parse("# comment", "")).isEmpty();
        assertThat(pattern("\\#notes").matches("#notes", false)).isTrue();
    }

    @Test
    void aNameWithoutSlashMatchesAtAnyDepth() {
        IgnorePattern tests = pattern("tests");
        assertThat(tests.matches("tests", true)).isTrue();
        assertThat(tests.matches("src/pkg/tests", true)).isTrue();
        assertThat(tests.matches("src/pkg/tests.py", false)).isFalse();
    }

    @Test
    void aLeadingOrMiddleSlashAnchorsToTheFolderOfTheFile() {
        assertThat(pattern("/build").matches("build", true)).isTrue();
        assertThat(pattern("/build").matches("src/build", true)).isFalse();
        assertThat(pattern("docs/*.md").matches("docs/a.md", false)).isTrue();
        assertThat(pattern("docs/*.md").matches("x/docs/a.md", false)).isFalse();
        assertThat(IgnorePattern.parse("/data", "src").orElseThrow().matches("src/data", true)).isTrue();
        assertThat(IgnorePattern.parse("/data", "src").orElseThrow().matches("data", true)).isFalse();
    }

    @Test
    void aTrailingSlashMatchesFoldersOnly() {
        IgnorePattern logs = pattern("logs/");
        assertThat(logs.matches("logs", true)).isTrue();
        assertThat(logs.matches("logs", false)).isFalse();
        assertThat(logs.matches("a/logs", true)).isTrue();
    }

    @Test
    void wildcardsStayWithinOneSegment() {
        assertThat(pattern("*.pyc").matches("src/x.pyc", false)).isTrue();
        assertThat(pattern("a/*.txt").matches("a/b/c.txt", false)).isFalse();
        assertThat(pattern("file?.txt").matches("file1.txt", false)).isTrue();
        assertThat(pattern("file?.txt").matches("file10.txt", false)).isFalse();
        assertThat(pattern("[abc].md").matches("b.md", false)).isTrue();
        assertThat(pattern("[!abc].md").matches("b.md", false)).isFalse();
        assertThat(pattern("[!abc].md").matches("d.md", false)).isTrue();
        assertThat(pattern("a+b(c).md").matches("a+b(c).md", false)).isTrue();
    }

    @Test
    void doubleStarsSpanFolders() {
        assertThat(pattern("**/fixtures").matches("fixtures", true)).isTrue();
        assertThat(pattern("**/fixtures").matches("a/b/fixtures", true)).isTrue();
        assertThat(pattern("data/**").matches("data/a/b.csv", false)).isTrue();
        assertThat(pattern("data/**").matches("data", true)).isFalse();
        assertThat(pattern("a/**/z").matches("a/z", true)).isTrue();
        assertThat(pattern("a/**/z").matches("a/b/c/z", true)).isTrue();
    }

    @Test
    void anExclamationMarkNegates() {
        IgnorePattern keep = pattern("!keep.md");
        assertThat(keep.negated()).isTrue();
        assertThat(keep.matches("docs/keep.md", false)).isTrue();
        assertThat(pattern("\\!important").negated()).isFalse();
    }

    @Test
    void trailingSpacesAreIgnoredUnlessEscaped() {
        assertThat(pattern("notes.txt   ").matches("notes.txt", false)).isTrue();
        assertThat(pattern("odd\\ ").matches("odd ", false)).isTrue();
    }
}
