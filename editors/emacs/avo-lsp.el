;;; avo-lsp.el --- avo-lsp in Emacs, with Eglot  -*- lexical-binding: t; -*-

;; Load it from your init file, (load "/path/to/avo-lsp/editors/emacs/avo-lsp.el"), or
;; copy the forms.  `avo-lsp' must be on `exec-path' (or write its full path below).

(defvar avo-lsp-eglot-programs
  ;; One entry, so one avo-lsp for every language of the project (Eglot 1.9, in Debian
  ;; 12, then sends every buffer with the first one's language id: avo-lsp goes by the
  ;; file's extension, so no harm done).  js-jsx-mode before js-mode, which it derives from.
  '((((python-mode :language-id "python") (python-ts-mode :language-id "python")
      (typescript-mode :language-id "typescript") (typescript-ts-mode :language-id "typescript")
      (tsx-ts-mode :language-id "typescriptreact")
      (js-jsx-mode :language-id "javascriptreact") (js-mode :language-id "javascript")
      (js-ts-mode :language-id "javascript"))
     . ("avo-lsp" "serve")))
  "`eglot-server-programs' entries for avo-lsp.")

;; The server's settings: the `avo' section of workspace/configuration.  For one project,
;; put it in the project's .dir-locals.el instead:
;;   ((nil . ((eglot-workspace-configuration . (:avo (:regenerate "onChange"))))))
(setq-default eglot-workspace-configuration
              '(:avo (:regenerate "onSave"
                      :debounceMs 100
                      ;; :planPath "tracking/plan.yaml"
                      :severity (:missing-user-id "warning"))))

(defun avo-lsp-plan-root (dir)
  "The nearest folder from DIR up that holds avo.yaml or avo.yml, or nil."
  (locate-dominating-file
   dir (lambda (d) (or (file-exists-p (expand-file-name "avo.yaml" d))
                       (file-exists-p (expand-file-name "avo.yml" d))))))

;; The plan's folder is the server's root, also inside a larger Git repository.  Only
;; Eglot's lookups see it (`eglot-lsp-context').
(defun avo-lsp-project (dir)
  (let ((root (and (bound-and-true-p eglot-lsp-context) (avo-lsp-plan-root dir))))
    (and root (cons 'transient root))))
(add-hook 'project-find-functions #'avo-lsp-project)

;; Eglot runs one server per buffer: in a project with a plan, avo-lsp is the server of
;; these buffers; elsewhere nothing changes.
(defun avo-lsp-eglot-ensure ()
  (when (and buffer-file-name (avo-lsp-plan-root default-directory))
    (require 'eglot)
    (setq-local eglot-server-programs (append avo-lsp-eglot-programs eglot-server-programs))
    (eglot-ensure)))
(dolist (hook '(python-mode-hook python-ts-mode-hook typescript-mode-hook
                typescript-ts-mode-hook tsx-ts-mode-hook js-mode-hook js-ts-mode-hook))
  (add-hook hook #'avo-lsp-eglot-ensure))

;;; avo-lsp.el ends here
