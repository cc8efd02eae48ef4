"""The Debian package (issue 19): CPack makes herald_<version>_amd64.deb from
this release build; lintian finds no error (nor warning) in it; it is installed with dpkg
into a throwaway Debian 12 root, so that its maintainer scripts really run
(system user, state directory, generated secrets, the unit enabled); there
systemd-analyze verifies the unit, `herald serve --config
/etc/herald/herald.toml --check-config` succeeds, the server runs as the
unit would run it (user herald, secrets.env) and stops on SIGTERM, a
reinstall keeps an edited conffile and the secrets, and a purge removes
what the package made.

The throwaway root: `debootstrap --variant=minbase` of bookworm with the
package's Depends and systemd, made once (about 2 minutes, from the Debian
mirror) and kept as a tar file under the build directory, keyed by that
package list; each run unpacks a fresh copy (about a second) and deletes it.
Needs root (chroot, dpkg into the root); otherwise it is skipped (exit 77).
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERALD = os.environ.get("HERALD_BIN", "")
BUILD_DIR = os.environ.get("HERALD_BUILD_DIR", "")
MIRROR = os.environ.get("HERALD_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
# In the root beside the package's own dependencies: systemd, whose
# systemd-analyze verifies the unit against the root's own targets and binary.
EXTRA_PACKAGES = ["systemd"]


def run(args, *, check=True, timeout=300, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def log(msg):
    print(f"[package_test {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def real_packages(names):
    """`names`, each virtual one replaced by a package that provides it
    (debootstrap takes real packages only: libspdlog1.10-fmt9 is provided
    by libspdlog1.10). One apt-cache call for all: each costs about 0.5 s."""
    policy = run(["apt-cache", "policy", *names]).stdout
    virtual = set(re.findall(r"(?m)^(\S+):\n  Installed: .*\n  Candidate: \(none\)", policy))
    out = set(names) - virtual
    for name in virtual:
        providers = run(["apt-cache", "showpkg", name]).stdout.split("Reverse Provides:", 1)[1].split()
        assert providers, f"nothing provides {name}"
        out.add(providers[0])
    return sorted(out)


def depends_names(deb):
    """The packages that satisfy the .deb's Depends (first of each alternative)."""
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    return real_packages(sorted({re.split(r"[\s(|:]", part.strip())[0] for part in depends.split(",") if part.strip()}))


def cached_root_tar(packages):
    """A tar of a minbase bookworm root with `packages`, made once per list."""
    key = hashlib.sha256(f"{SUITE} {MIRROR} {' '.join(packages)}".encode()).hexdigest()[:16]
    cache_dir = os.path.join(BUILD_DIR, "package-root")
    tar = os.path.join(cache_dir, f"{SUITE}-minbase-{key}.tar")
    if os.path.exists(tar):
        log(f"throwaway root from the cache: {tar}")
        return tar
    os.makedirs(cache_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="herald-debootstrap-", dir=cache_dir)
    try:
        root = os.path.join(work, "root")
        started = time.monotonic()
        log(f"debootstrap --variant=minbase {SUITE} with {','.join(packages)} from {MIRROR} (once; cached in {cache_dir})")
        run(["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, root, MIRROR], timeout=1200)
        for deb in os.listdir(os.path.join(root, "var/cache/apt/archives")):
            if deb.endswith(".deb"):
                os.unlink(os.path.join(root, "var/cache/apt/archives", deb))
        run(["tar", "-C", root, "-cf", tar + ".tmp", "."])
        os.replace(tar + ".tmp", tar)
        log(f"debootstrap and tar took {time.monotonic() - started:.0f} s")
        # Older roots of other package lists are of no further use.
        for name in os.listdir(cache_dir):
            if name.endswith(".tar") and os.path.join(cache_dir, name) != tar:
                os.unlink(os.path.join(cache_dir, name))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tar


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="herald-package-test-", dir=BUILD_DIR)
        cls.server = None
        try:
            cls._set_up()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def _set_up(cls):
        started = time.monotonic()
        out = os.path.join(cls.tmp, "out")
        run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", out])
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        assert len(debs) == 1, f"cpack made {debs}"
        cls.deb = os.path.join(out, debs[0])
        cls.version = run(["dpkg-deb", "-f", cls.deb, "Version"]).stdout.strip()
        log(f"cpack: {debs[0]} ({time.monotonic() - started:.1f} s)")

        tar = cached_root_tar(sorted(set(depends_names(cls.deb)) | set(EXTRA_PACKAGES)))
        cls.root = os.path.join(cls.tmp, "root")
        os.mkdir(cls.root)
        run(["tar", "-C", cls.root, "-xf", tar])
        shutil.copy(cls.deb, os.path.join(cls.root, "tmp", "herald.deb"))
        cls.install = cls.chroot(["dpkg", "-i", "/tmp/herald.deb"], check=False)
        log(f"set up in {time.monotonic() - started:.1f} s")

    @classmethod
    def tearDownClass(cls):
        if cls.server and cls.server.poll() is None:
            cls.server.kill()
            cls.server.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def chroot(cls, args, *, user=None, env=None, check=True, timeout=120):
        # A clean environment: herald reads every HERALD_* variable as its
        # configuration, and nothing of the test's should leak into the root.
        base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
        base.update(env or {})
        spec = [f"--userspec={user}:{user}"] if user else []
        return run(["chroot", *spec, cls.root, *args], env=base, check=check, timeout=timeout)

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def read(self, p):
        with open(self.path(p)) as f:
            return f.read()

    def secrets(self):
        return dict(re.findall(r"^(HERALD_[A-Z_]+)=(\S+)$", self.read("/etc/herald/secrets.env"), re.M))

    # -- the package itself ------------------------------------------------
    def test_1_name_and_version_agree_with_the_binary(self):
        self.assertEqual(os.path.basename(self.deb), f"herald_{self.version}_amd64.deb")
        host = run([HERALD, "--version"]).stdout.strip()
        self.assertRegex(host, rf"^herald {re.escape(self.version)} \(commit ([0-9a-f]+|unknown), ")

    def test_1_lintian_finds_no_error_or_warning(self):
        # The issue asks for no errors; there are no warnings either, so keep
        # it that way (informational tags are printed, not judged).
        r = run(["lintian", "--fail-on", "error,warning", "--display-info", self.deb], check=False)
        print(r.stdout, end="")
        bad = [line for line in r.stdout.splitlines() if line.startswith(("E:", "W:"))]
        self.assertEqual(bad, [])
        self.assertEqual(r.returncode, 0, r.stderr)

    # -- installed into the throwaway root -------------------------------------
    def test_2_installs_and_its_postinst_runs(self):
        self.assertEqual(self.install.returncode, 0, f"dpkg -i:\n{self.install.stdout}\n{self.install.stderr}")
        status = self.chroot(["dpkg-query", "-W", "-f=${Status} ${Version}", "herald"]).stdout
        self.assertEqual(status, f"install ok installed {self.version}")
        # The installed binary runs with the root's libraries (the Depends
        # were enough) and names the package's version.
        v = self.chroot(["/usr/bin/herald", "--version"]).stdout.strip()
        self.assertEqual(v, run([HERALD, "--version"]).stdout.strip())

    def test_2_system_user_and_state_directory(self):
        pw = self.chroot(["getent", "passwd", "herald"]).stdout.strip().split(":")
        self.assertEqual(pw[0], "herald")
        self.assertLess(int(pw[2]), 1000, "a system user")
        self.assertEqual(pw[5], "/var/lib/herald")
        self.assertEqual(pw[6], "/usr/sbin/nologin")
        gid = self.chroot(["getent", "group", "herald"]).stdout.strip().split(":")[2]
        self.assertEqual(pw[3], gid)
        st = os.stat(self.path("/var/lib/herald"))
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (int(pw[2]), int(gid), 0o750))

    def test_2_conffile_and_files(self):
        conffiles = self.chroot(["dpkg-query", "-W", "-f=${Conffiles}", "herald"]).stdout
        self.assertRegex(conffiles, r"^\s*/etc/herald/herald\.toml [0-9a-f]{32}\s*$")
        files = self.chroot(["dpkg", "-L", "herald"]).stdout.split()
        for f in ["/usr/bin/herald", "/usr/share/herald/web/index.html", "/usr/share/herald/web/dashboard.html",
                  "/lib/systemd/system/herald.service", "/etc/herald/herald.toml",
                  "/usr/share/doc/herald/copyright", "/usr/share/doc/herald/changelog.gz",
                  "/usr/share/man/man1/herald.1.gz"]:
            self.assertIn(f, files)
            self.assertTrue(os.path.isfile(self.path(f)), f)
        toml = self.read("/etc/herald/herald.toml")
        self.assertRegex(toml, r'(?m)^host = "127\.0\.0\.1"')
        self.assertRegex(toml, r'(?m)^data_dir = "/var/lib/herald"')
        self.assertRegex(toml, r'(?m)^web_root = "/usr/share/herald/web"')
        self.assertRegex(toml, r'(?m)^tokens = false')

    def test_2_secrets_generated_private(self):
        st = os.stat(self.path("/etc/herald/secrets.env"))
        gid = int(self.chroot(["getent", "group", "herald"]).stdout.split(":")[2])
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (0, gid, 0o640))
        s = self.secrets()
        self.assertRegex(s.get("HERALD_CLIENT_TOKEN_HMAC_SECRET", ""), r"^[0-9a-f]{64}$")
        self.assertRegex(s.get("HERALD_API_KEY", ""), r"^[0-9a-f]{48}$")
        self.assertRegex(s.get("HERALD_ADMIN_PASSWORD", ""), r"^[0-9a-f]{24}$")
        self.assertRegex(s.get("HERALD_ADMIN_SECRET", ""), r"^[0-9a-f]{64}$")

    def test_2_unit_installed_enabled_and_verified(self):
        unit = self.read("/lib/systemd/system/herald.service")
        for line in ["User=herald", "StateDirectory=herald", "ExecStart=/usr/bin/herald serve --config /etc/herald/herald.toml",
                     "EnvironmentFile=-/etc/herald/secrets.env", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "LimitNOFILE=1048576", "KillSignal=SIGTERM"]:
            self.assertIn("\n" + line + "\n", unit)
        self.assertNotRegex(unit, r"(?m)^ExecReload", "the server has no reload")
        # deb-systemd-helper enabled it (the root has no running systemd to start it).
        link = self.path("/etc/systemd/system/multi-user.target.wants/herald.service")
        self.assertEqual(os.readlink(link), "/lib/systemd/system/herald.service")
        # In the root: its systemd, its /usr/bin/herald, its user. --man=no:
        # the minbase root has no man-db to look up Documentation=man:herald(1)
        # with (test_2_conffile_and_files checks the page is installed).
        r = self.chroot(["systemd-analyze", "verify", "--man=no", "/lib/systemd/system/herald.service"], check=False)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        sec = self.chroot(["systemd-analyze", "security", "--offline=yes", "/lib/systemd/system/herald.service"], check=False)
        print(sec.stdout.splitlines()[-1] if sec.stdout else sec.stderr)
        self.assertEqual(sec.returncode, 0, sec.stderr)
        m = re.search(r"Overall exposure level for herald\.service: ([0-9.]+)", sec.stdout)
        self.assertIsNotNone(m, sec.stdout[-500:])
        self.assertLessEqual(float(m.group(1)), 2.0, "the unit's hardening got weaker")

    def test_2_check_config_succeeds(self):
        r = self.chroot(["herald", "serve", "--config", "/etc/herald/herald.toml", "--check-config"])
        self.assertIn("the configuration is valid", r.stderr)
        self.assertIn('host = "127.0.0.1"', r.stdout)
        self.assertIn('data_dir = "/var/lib/herald"', r.stdout)
        # As the unit runs it: the herald user, the generated secrets.
        r = self.chroot(["herald", "serve", "--config", "/etc/herald/herald.toml", "--check-config"],
                        user="herald", env=self.secrets())
        self.assertIn("the configuration is valid", r.stderr)
        self.assertRegex(r.stdout, r'(?m)^token_hmac_secret = "<set>"$')
        self.assertRegex(r.stdout, r'(?m)^key = "<set>"$')

    def test_3_serves_as_the_unit_would_and_stops_on_sigterm(self):
        secrets = self.secrets()
        # --port 0: a free port; everything else from the conffile, but for
        # durable history on channels without a namespace, so that the
        # server writes its state directory as the herald user.
        env = {"PATH": "/usr/bin:/bin", **secrets, "HERALD_CHANNEL_HISTORY_SIZE": "10", "HERALD_CHANNEL_HISTORY_TTL": "1h"}
        cls = type(self)
        cls.server = subprocess.Popen(
            [shutil.which("chroot"), "--userspec=herald:herald", self.root, "/usr/bin/herald", "serve", "--config",
             "/etc/herald/herald.toml", "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
        line = cls.server.stdout.readline().decode()
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)", line)
        self.assertIsNotNone(m, f"{line!r} {cls.server.stderr.read1(4096) if cls.server.poll() is not None else ''}")
        base = f"http://127.0.0.1:{m.group(1)}"
        with urllib.request.urlopen(base + "/health", timeout=5) as r:
            self.assertEqual(r.status, 200)
        with urllib.request.urlopen(base + "/", timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(b"<html", r.read().lower())
        def api(method, body):
            req = urllib.request.Request(f"{base}/api/{method}", data=json.dumps(body).encode(),
                                         headers={"X-API-Key": secrets["HERALD_API_KEY"]})
            with urllib.request.urlopen(req, timeout=5) as r:
                self.assertEqual(r.status, 200)
                return json.loads(r.read())
        self.assertEqual(api("publish", {"channel": "news", "data": {"n": 1}})["result"]["offset"], 1)
        pubs = api("history", {"channel": "news", "limit": 10})["result"]["publications"]
        self.assertEqual([p["data"] for p in pubs], [{"n": 1}])
        db = os.stat(self.path("/var/lib/herald/history.db"))
        uid = int(self.chroot(["id", "-u", "herald"]).stdout)
        self.assertEqual(db.st_uid, uid, "history.db in the state directory, written by the herald user")
        started = time.monotonic()
        cls.server.send_signal(signal.SIGTERM)
        rc = cls.server.wait(30)  # the unit's TimeoutStopSec
        err = cls.server.stderr.read().decode()
        self.assertEqual(rc, 0, err)
        self.assertIn("stopped", err)
        log(f"SIGTERM to exit: {time.monotonic() - started:.2f} s")

    def test_4_reinstall_keeps_edited_conffile_and_secrets(self):
        before = self.secrets()
        with open(self.path("/etc/herald/herald.toml"), "a") as f:
            f.write("# edited by the administrator\n")
        r = self.chroot(["dpkg", "-i", "/tmp/herald.deb"])
        self.assertNotIn("dpkg-old", r.stdout)
        self.assertTrue(self.read("/etc/herald/herald.toml").endswith("# edited by the administrator\n"))
        self.assertEqual(self.secrets(), before)

    def test_5_purge_removes_what_the_package_made(self):
        self.chroot(["dpkg", "--purge", "herald"])
        for p in ["/usr/bin/herald", "/etc/herald/herald.toml", "/etc/herald/secrets.env", "/var/lib/herald",
                  "/lib/systemd/system/herald.service", "/usr/share/herald",
                  "/etc/systemd/system/multi-user.target.wants/herald.service"]:
            self.assertFalse(os.path.lexists(self.path(p)), f"{p} is left after purge")
        # The system user stays (docs/operations.md says why).
        self.chroot(["getent", "passwd", "herald"])


if __name__ == "__main__":
    if not HERALD or not BUILD_DIR:
        sys.exit("HERALD_BIN and HERALD_BUILD_DIR are not set: run through ctest")
    if os.geteuid() != 0:
        print("package_test: SKIPPED: needs root (chroot, dpkg into a throwaway root)")
        sys.exit(77)
    for tool in ["cpack", "dpkg-deb", "lintian", "debootstrap", "chroot", "tar"]:
        if not shutil.which(tool):
            sys.exit(f"package_test: {tool} is missing: run scripts/install-deps.sh")
    unittest.main(verbosity=2)
