; Inno Setup script: dist\Assist-<version>-setup.exe from the one-folder build (dist\Assist\).
;   iscc /DAppVersion=0.1.0 packaging\windows\assist.iss
; Per-user install by default (no admin rights: %LOCALAPPDATA%\Programs\Assist), a Start-menu
; entry (and one for the demo), an uninstaller. Paths are relative to this file.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=<version from pyproject.toml>
#endif
#define AppName "Assist"
#define AppExe "Assist.exe"

[Setup]
AppId={{3C7B2F5E-8E0A-4B7D-9C1E-5A2D4F6B8E10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Assist
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Assist-{#AppVersion}-setup
SetupIconFile=..\..\build\icon\assist.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\Assist\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; an upgrade replaces the bundled files (models of an older version included)
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{#AppName} (demo)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
