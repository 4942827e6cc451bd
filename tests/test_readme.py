"""The README documents every setting and the commands CI runs."""

from gapmodel.core.settings import PROJECT_ROOT, SETTINGS

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    for setting in SETTINGS:
        assert f"`{setting.env_var}`" in README, setting.env_var


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in README
    assert "\n./scripts/test.sh\n" in ci
