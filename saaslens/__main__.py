from saaslens.cli import main

main()
